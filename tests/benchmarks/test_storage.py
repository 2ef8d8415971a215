"""Smoke test of benchmarks/storage.py: every reading is stored and the table has a size."""

import pytest

from benchmarks.storage import main


def test_a_tiny_run_stores_every_reading(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--readings", "600", "--devices", "20"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("readings=600 devices=20")
    per_reading, indexes = (float(cell.replace(",", "")) for cell in out[-1].split("|")[1:3])
    assert 0 < indexes < per_reading
