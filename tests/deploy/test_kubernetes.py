"""Tests of deploy/kubernetes/: each manifest validates against the Kubernetes API schemas
(kubernetes-validate's bundled, strict ones: an unknown or misspelt field fails), and the
manifests agree with the services' real commands and settings, with each other (selectors,
ports, probes) and with the Secret that docs/deploy.md tells the operator to create.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from curbside import cli
from tests.deploy.services import (
    DEPLOY,
    ROOT,
    SETTINGS_BY_COMMAND,
    build_settings,
    known_variables,
    parse,
    registry_host,
    unread,
)

MANIFESTS = DEPLOY / "kubernetes"
KUSTOMIZATION = MANIFESTS / "kustomization.yaml"
DEPLOY_GUIDE = ROOT / "docs" / "deploy.md"

OLDEST_KUBERNETES = "1.29.0"
"""The oldest Kubernetes the manifests are written for (CronJob time zones are GA since 1.27)."""

Resource = dict[str, Any]

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "CronJob", "Job"}


def manifest_files() -> list[Path]:
    return sorted(p for p in MANIFESTS.glob("*.yaml") if p != KUSTOMIZATION)


def load_resources() -> list[Resource]:
    resources: list[Resource] = []
    for path in manifest_files():
        resources += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return resources


RESOURCES = load_resources()


def ids(resource: Resource) -> str:
    return f"{resource['kind']}/{resource['metadata']['name']}"


def find(kind: str, name: str) -> Resource:
    found = [r for r in RESOURCES if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def pod_template(resource: Resource) -> dict[str, Any]:
    spec = resource["spec"]
    if resource["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template: dict[str, Any] = spec["template"]
    return template


def containers(resource: Resource) -> Iterator[dict[str, Any]]:
    """Every container of a workload's pods, init containers first."""
    pod = pod_template(resource)["spec"]
    yield from pod.get("initContainers", [])
    yield from pod["containers"]


def workloads() -> list[Resource]:
    return [r for r in RESOURCES if r["kind"] in WORKLOAD_KINDS]


def config_data() -> dict[str, str]:
    data: dict[str, str] = find("ConfigMap", "curbside-config")["data"]
    return data


def secret_placeholder(secret: str, key: str) -> str:
    """A stand-in for a key of the operator's Secret: what the key names, with a password."""
    if "database" in key:
        return "postgresql://curbside:placeholder@db.internal:5432/curbside"
    if "mqtt" in key:
        return "mqtt://curbside-ingest:placeholder@broker.internal:1883"
    raise AssertionError(f"no stand-in for key {key} of Secret {secret}")


def environment(container: dict[str, Any], pod_name: str) -> dict[str, str]:
    """The variables a container starts with: its ConfigMaps, then its own entries (Secrets
    and the downward API given stand-in values)."""
    result: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, f"{container['name']}: only ConfigMaps come in whole"
        result.update(find("ConfigMap", source["configMapRef"]["name"])["data"])
    for entry in container.get("env", []):
        if "value" in entry:
            result[entry["name"]] = entry["value"]
            continue
        source = entry["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            result[entry["name"]] = secret_placeholder(ref["name"], ref["key"])
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            result[entry["name"]] = find("ConfigMap", ref["name"])["data"][ref["key"]]
        else:
            assert source["fieldRef"]["fieldPath"] == "metadata.name", entry
            result[entry["name"]] = pod_name
    return result


def curbside_containers() -> Iterator[tuple[Resource, dict[str, Any]]]:
    for resource in workloads():
        for container in containers(resource):
            if container["image"].split(":")[0] == "curbside":
                yield resource, container


def named_port(container: dict[str, Any], port: int | str) -> int:
    """A probe's or Service's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    numbers = [p["containerPort"] for p in container.get("ports", []) if p.get("name") == port]
    assert numbers, f"{container['name']} has no port named {port}"
    return int(numbers[0])


# --- schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [OLDEST_KUBERNETES, kubernetes_validate.utils.latest_version()])
@pytest.mark.parametrize("resource", RESOURCES, ids=ids)
def test_manifests_validate_against_the_kubernetes_schemas(
    resource: Resource, version: str
) -> None:
    """Each resource is valid for the oldest Kubernetes the manifests target and the newest
    one the validator knows, with unknown fields refused."""
    try:
        kubernetes_validate.validate(resource, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(part) for part in exc.path)
        pytest.fail(f"{ids(resource)} against {version}: {path}: {exc.message}")
    except kubernetes_validate.SchemaNotFoundError as exc:
        pytest.fail(exc.message)


def test_kustomization_lists_every_manifest() -> None:
    """`kubectl apply -k deploy/kubernetes` applies each manifest of the folder, in the
    namespace the folder defines, with the Curbside image."""
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    assert kustomization["kind"] == "Kustomization"
    assert sorted(kustomization["resources"]) == sorted(p.name for p in manifest_files())
    assert find("Namespace", kustomization["namespace"])
    assert [image["name"] for image in kustomization["images"]] == ["curbside"]


def test_images_name_no_registry_host() -> None:
    """The manifests name the image built from deploy/Dockerfile (kustomize's `images`
    points it at a registry) and carry no registry host."""
    for resource in workloads():
        for container in containers(resource):
            assert registry_host(container["image"]) is None, container["image"]
            assert container["image"].split(":")[0] == "curbside", container["image"]


# --- commands and settings -------------------------------------------------------------------


def test_containers_run_real_commands_behind_the_entry_point() -> None:
    """Each container gives `curbside` its arguments (the image's entry point stays) and
    they parse with the real command line."""
    seen = set()
    for resource, container in curbside_containers():
        assert "command" not in container, f"{ids(resource)} replaces the entry point"
        args = parse(container["args"])
        assert args.command in SETTINGS_BY_COMMAND, container["args"]
        seen.add(args.command)
    assert seen == {"db", "ingest", "api", "plan"}


def test_environments_build_each_containers_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each container's variables (the ConfigMap's, Secret keys, its pod's name) build the
    settings of its command, and each CURBSIDE_* variable set for the container alone is
    one its command reads (the ConfigMap's are shared by all)."""
    for resource, container in curbside_containers():
        own = [entry["name"] for entry in container.get("env", [])]
        assert not unread(container["args"], own), (
            f"{ids(resource)}: {unread(container['args'], own)}"
        )
        env = environment(container, f"{resource['metadata']['name']}-0")
        settings = build_settings(container["args"], env, monkeypatch, all_read=False)
        assert isinstance(settings, SETTINGS_BY_COMMAND[container["args"][0]])
        assert "placeholder" in settings.dsn


def test_configmap_holds_only_real_settings() -> None:
    """Every CURBSIDE_* key of the ConfigMap is a setting some Curbside service reads."""
    names = {name for name in config_data() if name.startswith("CURBSIDE_")}
    assert names <= known_variables()


def test_secret_is_the_operators_and_documented() -> None:
    """No Secret (so no default password) is in the manifests; the Secret and keys they
    refer to are the ones docs/deploy.md has the operator create."""
    assert not [r for r in RESOURCES if r["kind"] == "Secret"]
    referred = {
        (ref["name"], ref["key"])
        for _, container in curbside_containers()
        for entry in container.get("env", [])
        if (ref := entry.get("valueFrom", {}).get("secretKeyRef"))
    }
    guide = DEPLOY_GUIDE.read_text()
    created = re.findall(r"create secret generic (\S+)", guide)
    keys = set(re.findall(r"--from-literal=([a-z-]+)=", guide))
    assert {name for name, _ in referred} == set(created)
    assert {key for _, key in referred} == keys


# --- the services ----------------------------------------------------------------------------


def test_selectors_match_their_pods() -> None:
    """Each workload's selector, each Service's and the disruption budget's select the pods
    they are meant for."""
    for resource in workloads():
        labels = pod_template(resource)["metadata"]["labels"]
        selector = resource["spec"].get("selector", {}).get("matchLabels", {})
        assert selector.items() <= labels.items(), ids(resource)
    for kind, target in [
        ("Service", "Deployment/curbside-api"),
        ("Service", "StatefulSet/curbside-ingest"),
        ("PodDisruptionBudget", "Deployment/curbside-api"),
    ]:
        workload = find(*target.split("/"))
        service = find(kind, target.split("/")[1])
        selector = service["spec"]["selector"]
        selector = selector.get("matchLabels", selector)
        assert selector.items() <= pod_template(workload)["metadata"]["labels"].items()


def test_ingest_workers_share_the_subscription_under_stable_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two or more ingest workers, each with its pod's name as client id: a StatefulSet, so
    the name (and the broker's session for it) outlives a restart; one shared group."""
    ingest = find("StatefulSet", "curbside-ingest")
    assert ingest["spec"]["replicas"] >= 2
    worker = pod_template(ingest)["spec"]["containers"][0]
    assert parse(worker["args"]).handler is cli.cmd_ingest
    client_id = next(e for e in worker["env"] if e["name"] == "CURBSIDE_CLIENT_ID")
    assert client_id["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    names = [f"curbside-ingest-{ordinal}" for ordinal in range(ingest["spec"]["replicas"])]
    built = [
        build_settings(worker["args"], environment(worker, n), monkeypatch, all_read=False)
        for n in names
    ]
    assert len({getattr(s, "client_id", None) for s in built}) == len(names)
    groups = {getattr(s, "share_group", None) for s in built}
    assert len(groups) == 1
    assert None not in groups


def test_ingest_probes_follow_its_ready_file_and_metrics() -> None:
    """An ingest pod is ready once its worker has subscribed (the ready file its arguments
    name) and alive while it serves metrics on CURBSIDE_METRICS_PORT."""
    worker = pod_template(find("StatefulSet", "curbside-ingest"))["spec"]["containers"][0]
    ready_file = parse(worker["args"]).ready_file
    assert str(ready_file) in worker["readinessProbe"]["exec"]["command"]
    live = worker["livenessProbe"]["httpGet"]
    assert live["path"] == "/metrics"
    assert named_port(worker, live["port"]) == int(config_data()["CURBSIDE_METRICS_PORT"])


def test_api_replicas_probes_and_service() -> None:
    """At least two API pods, ready on /health and alive on /livez at the port the command
    listens on, behind a Service, scaled by an autoscaler that never goes below two."""
    deployment = find("Deployment", "curbside-api")
    assert deployment["spec"]["replicas"] >= 2
    api = pod_template(deployment)["spec"]["containers"][0]
    args = parse(api["args"])
    assert args.handler is cli.cmd_api
    assert args.host == "0.0.0.0"
    for probe, path in (("readinessProbe", "/health"), ("livenessProbe", "/livez")):
        check = api[probe]["httpGet"]
        assert check["path"] == path
        assert named_port(api, check["port"]) == args.port
    service = find("Service", "curbside-api")
    assert [named_port(api, p["targetPort"]) for p in service["spec"]["ports"]] == [args.port]
    autoscaler = find("HorizontalPodAutoscaler", "curbside-api")
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "curbside-api"
    assert autoscaler["spec"]["minReplicas"] >= 2


def test_migrations_run_before_the_services_start() -> None:
    """The API and ingest pods apply the migrations (`curbside db upgrade`) in an init
    container; the planner applies them itself before planning."""
    for kind, name in (("Deployment", "curbside-api"), ("StatefulSet", "curbside-ingest")):
        init = pod_template(find(kind, name))["spec"]["initContainers"]
        assert [parse(c["args"]).action for c in init] == ["upgrade"], name


def test_planner_runs_each_evening_in_the_citys_time_zone() -> None:
    """The CronJob plans tomorrow (`curbside plan`, no date) each evening before a working
    day, in the ConfigMap's time zone (also its TZ, so "tomorrow" is the city's), one run at
    a time."""
    cronjob = find("CronJob", "curbside-plan")
    spec = cronjob["spec"]
    minute, hour, _, _, weekdays = spec["schedule"].split()
    assert (minute, hour, weekdays) == ("0", "18", "0-4")  # Sunday to Thursday evenings
    assert spec["timeZone"] == config_data()["CURBSIDE_TIMEZONE"]
    assert spec["concurrencyPolicy"] == "Forbid"
    plan = pod_template(cronjob)["spec"]["containers"][0]
    args = parse(plan["args"])
    assert args.handler is cli.cmd_plan
    assert args.date is None
    assert args.every_evening is None
    assert environment(plan, "plan")["TZ"] == spec["timeZone"]


def test_pods_run_unprivileged_as_the_images_user() -> None:
    """Every pod runs as the Dockerfile's numeric user, without privilege escalation."""
    user = re.search(r"^USER (\d+):(\d+)$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    assert user
    for resource in workloads():
        context = pod_template(resource)["spec"]["securityContext"]
        assert context["runAsNonRoot"] is True
        assert (context["runAsUser"], context["runAsGroup"]) == tuple(map(int, user.groups()))
        for container in containers(resource):
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_prometheus_annotations_name_the_metrics_ports() -> None:
    """Pods annotated for scraping name the port their container serves metrics on: the
    API's own port, CURBSIDE_METRICS_PORT for the ingest workers."""
    expected = {
        "curbside-api": parse(
            pod_template(find("Deployment", "curbside-api"))["spec"]["containers"][0]["args"]
        ).port,
        "curbside-ingest": int(config_data()["CURBSIDE_METRICS_PORT"]),
    }
    annotated = {
        resource["metadata"]["name"]: int(annotations["prometheus.io/port"])
        for resource in workloads()
        if (annotations := pod_template(resource)["metadata"].get("annotations", {}))
        and annotations.get("prometheus.io/scrape") == "true"
    }
    assert annotated == expected
