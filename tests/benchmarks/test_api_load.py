"""Smoke test of benchmarks/api_load.py: a tiny run prints every row (no timing asserted)."""

import pytest

from benchmarks.api_load import main


def test_a_tiny_run_prints_every_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--bins", "150", "--seconds", "0.5", "--concurrency", "2", "--rate", "20"])
    lines = capsys.readouterr().out.splitlines()
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in lines
        if line.startswith("| ") and "---" not in line
    ][1:]
    assert [row[0] for row in rows] == [
        "trivial (/livez)",
        "pickups by address",
        "calendar feed (ICS)",
        "bins GeoJSON (150 bins, 2 in flight)",
    ]
    assert [row[-1] for row in rows] == ["0", "0", "0", "0"]  # no failed requests
    assert all(float(row[1].replace(",", "")) > 0 for row in rows)
