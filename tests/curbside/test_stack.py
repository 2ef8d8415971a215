"""`curbside up` and `down` as a person runs them: a whole local stack in a temporary folder."""

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from curbside.runtime import free_port, port_open


@pytest.fixture
def stack_env(services_dir: Path) -> Iterator[dict[str, str]]:
    """Environment for a small stack on free ports under its own state folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURBSIDE_")}
    env.update(
        CURBSIDE_STATE_DIR=str(services_dir / "stack"),
        CURBSIDE_LOCAL_DB_PORT=str(free_port()),
        CURBSIDE_LOCAL_MQTT_PORT=str(free_port()),
        CURBSIDE_API_PORT=str(free_port()),
        CURBSIDE_BINS="24",  # seed 1: a household bin due on every weekday, so routes
        CURBSIDE_TIME_LIMIT_S="1",
        CURBSIDE_CLIENT_ID="stack-test",
    )
    yield env
    subprocess.run([sys.executable, "-m", "curbside", "down"], env=env, check=False, timeout=120)


def curbside(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "curbside", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def get_json(url: str) -> object:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_up_serves_bins_and_a_plan_then_down_stops_everything(stack_env: dict[str, str]) -> None:
    """After `up` the API shows filled bins and tomorrow's routes; `down` ends every process."""
    out = curbside(stack_env, "up")
    base = f"http://127.0.0.1:{stack_env['CURBSIDE_API_PORT']}"
    assert f"{base}/docs" in out
    bins = get_json(f"{base}/v1/bins")
    assert isinstance(bins, list)
    assert len(bins) == 24
    assert all(b["fill_pct"] is not None for b in bins)
    plan = get_json(f"{base}/v1/plans/{date.today() + timedelta(days=1)}")
    assert isinstance(plan, dict)
    assert plan["routes"]
    status = curbside(stack_env, "status")
    assert status.count("running") == 4

    curbside(stack_env, "up")  # idempotent: everything already runs, a new plan version
    plan = get_json(f"{base}/v1/plans/{date.today() + timedelta(days=1)}")
    assert isinstance(plan, dict)
    assert plan["version"] == 2

    curbside(stack_env, "down")
    assert curbside(stack_env, "status").count("stopped") == 4
    for name in ("CURBSIDE_LOCAL_DB_PORT", "CURBSIDE_LOCAL_MQTT_PORT", "CURBSIDE_API_PORT"):
        assert not port_open(int(stack_env[name]))
