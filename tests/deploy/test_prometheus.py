"""Tests of deploy/prometheus: promtool accepts the configuration and the rules, the alerts
pass their unit tests (tests/data/prometheus_alerts_test.yml), and every metric an alert
names is one the services really export."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api import ApiSettings, create_app
from ingest.metrics import IngestMetrics
from optimizer.metrics import PlannerMetrics

ROOT = Path(__file__).parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
ALERTS = PROMETHEUS / "alerts.yml"
ALERT_TESTS = ROOT / "tests" / "data" / "prometheus_alerts_test.yml"
COMPOSE = ROOT / "deploy" / "compose.yaml"

SEVERITIES = {"critical", "warning"}
PROMETHEUS_OWN = {"up"}
"""Series Prometheus makes itself for each target."""
SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum"),
}
"""The series of a metric family of each type (the bare name for the others)."""
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


@pytest.fixture(scope="module")
def promtool() -> str:
    """The promtool binary (Debian's `prometheus` package, deploy/install-services.sh)."""
    path = shutil.which("promtool")
    assert path is not None, "promtool is not installed: run deploy/install-services.sh"
    return path


def run_promtool(promtool: str, *args: str) -> str:
    done = subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: what is left once strings, label
    matchers, ranges, grouping clauses, function calls and keywords are taken out."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    grouping = r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"
    expr = re.sub(grouping, "", expr)
    expr = re.sub(r"\b(?:group_left|group_right)\b", "", expr)
    names = re.findall(r"(?<![\w.])([a-zA-Z_:][\w:]*)\b(?!\s*\()", expr)
    return {name for name in names if name.lower() not in _KEYWORDS}


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('up{job=~"curbside-.*"} == 0', {"up"}),
        (
            "sum by (reason) (rate(a_total[10m])) / on() group_left() sum(rate(b_total[5m]))"
            " > 0.05 and sum(c) > 1e3",
            {"a_total", "b_total", "c"},
        ),
        ("time() - x_seconds > 3600 or y < bool z offset 5m", {"x_seconds", "y", "z"}),
    ],
)
def test_metric_names_are_read_from_an_expression(expr: str, names: set[str]) -> None:
    """Functions, aggregations, label names, durations and keywords are no metric names."""
    assert metric_names(expr) == names


def exported(exposition: bytes) -> set[str]:
    """Every series name an exposition can carry, its labelled children present or not."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition.decode()):
        names |= {sample.name for sample in family.samples}
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


@pytest.fixture
def exported_names(db: psycopg.Connection, database_url: str) -> set[str]:
    """The names the API (with a bin, a reading and a plan in its database), an ingest
    worker and the planner export, and Prometheus's own."""
    db.execute(
        "INSERT INTO bins (id, lat, lon, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm) VALUES ('bin-1', 51.05, 3.72, 'residual', 240, 1000, 200)"
    )
    db.execute(
        "INSERT INTO readings (device_id, bin_id, measured_at, received_at, fill_pct)"
        " VALUES ('dev-1', 'bin-1', %s, %s, 100)",
        (datetime.now(UTC), datetime.now(UTC)),
    )
    db.execute(
        "INSERT INTO plans (plan_date, version, solver, distance_m, duration_s)"
        " VALUES (%s, 1, 'test', 0, 0)",
        (date(2026, 11, 27),),
    )
    with TestClient(create_app(ApiSettings(database_url=database_url))) as client:
        client.get("/livez")
        api = client.get("/metrics").content
    workers = generate_latest(IngestMetrics().registry)
    planner = generate_latest(PlannerMetrics().registry)
    return exported(api) | exported(workers) | exported(planner) | PROMETHEUS_OWN


def test_the_configuration_and_its_rules_are_valid(promtool: str) -> None:
    """`promtool check config` accepts prometheus.yml and the rule file it names."""
    output = run_promtool(promtool, "check", "config", str(CONFIG))
    assert "1 rule files found" in output


def test_the_rules_are_valid(promtool: str) -> None:
    """`promtool check rules` accepts alerts.yml."""
    output = run_promtool(promtool, "check", "rules", str(ALERTS))
    assert f"{len(rules())} rules found" in output


def test_the_alerts_fire_as_their_unit_tests_expect(promtool: str) -> None:
    """`promtool test rules`: each alert fires, with its labels and annotations, when its
    unit test says, and not before."""
    run_promtool(promtool, "test", "rules", str(ALERT_TESTS))


def test_every_alert_has_a_delay_a_severity_and_annotations() -> None:
    """An alert waits before it fires, says how bad it is, and what happened."""
    alerts = rules()
    assert {rule["alert"] for rule in alerts} >= {
        "IngestStalled", "RejectSpike", "ManySensorsOffline", "PlanNotProduced",
        "BinsOverflowing", "FireRisk",
    }  # fmt: skip
    for rule in alerts:
        assert "for" in rule, rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert set(rule["annotations"]) == {"summary", "description"}, rule["alert"]


def test_every_metric_in_an_alert_is_exported(exported_names: set[str]) -> None:
    """No alert waits on a series that no service exports."""
    used = {rule["alert"]: metric_names(rule["expr"]) for rule in rules()}
    assert all(used.values())
    for alert, names in used.items():
        assert names <= exported_names, f"{alert}: {sorted(names - exported_names)}"


def test_every_exported_metric_is_documented(exported_names: set[str]) -> None:
    """docs/metrics.md names each metric the services export."""
    text = (ROOT / "docs" / "metrics.md").read_text()
    documented = set(re.findall(r"`(curbside_\w+)", text))
    families = {
        re.sub(r"_(total|bucket|count|sum|created)$", "", name)
        for name in exported_names - PROMETHEUS_OWN
    }
    missing = {name for name in families if not documented & {name, name + "_total"}}
    assert not missing, sorted(missing)


def test_the_targets_are_the_compose_services_on_their_metrics_ports() -> None:
    """Each scrape target is a service of deploy/compose.yaml, on the port it serves
    metrics on."""
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    jobs = {job["job_name"]: job for job in yaml.safe_load(CONFIG.read_text())["scrape_configs"]}
    port_setting = {
        "curbside-ingest": "CURBSIDE_METRICS_PORT",
        "curbside-planner": "CURBSIDE_PLANNER_METRICS_PORT",
    }
    assert set(port_setting) | {"curbside-api"} <= set(jobs)
    for name, job in jobs.items():
        if name == "prometheus":
            continue
        targets = [t for config in job["static_configs"] for t in config["targets"]]
        for target in targets:
            host, port = target.rsplit(":", 1)
            assert host in compose, f"{name}: {host} is not a compose service"
            service = compose[host]
            if name in port_setting:
                variable = port_setting[name]
                assert service["environment"].get(variable) == port, f"{host}: {variable}"
            else:
                assert f"--port {port}" in " ".join(service["command"]), target
