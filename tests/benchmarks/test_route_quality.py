"""A quick run of benchmarks/route_quality.py: one small instance of each set, every solver."""

import pytest

from benchmarks.route_quality import main


def test_quick_run_prints_a_row_per_instance_with_every_column(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each set's instance gets a row; Curbside's engine finds a checked plan for each."""
    main(["--quick", "--seed", "1"])
    table = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in table[1:-1]}
    assert set(rows) == {"X-n101-k25", "C101", "102_stop", "uniform-n200-s1"}
    for name, row in rows.items():
        ours = row.split()[3]
        assert ours != "-", f"{name}: no plan from Curbside's engine"
    assert rows["X-n101-k25"].split()[2] == "27,591"  # the best known, from the .sol file
    assert table[-1].startswith("mean gap to best known: ours ")
