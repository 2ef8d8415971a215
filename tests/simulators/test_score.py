"""Tests of simulators/score.py: policies run side by side from one state, and the table."""

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from curbside.cli import main
from optimizer import OrtoolsParams, SolveParams
from simulators import generate_city
from simulators.fill import FillModel
from simulators.policies import FixedRound, policy_named
from simulators.score import (
    DEFAULT_START,
    RunScore,
    ScoreParams,
    score_policies,
    score_table,
    warm_up,
)

FAST = SolveParams(backend="ortools", ortools=OrtoolsParams(solution_limit=100))
"""OR-Tools stopping after a fixed number of solutions: the same plans every run."""


def small_run(seed: int = 5) -> list[RunScore]:
    params = ScoreParams(bins=40, days=3, seeds=(seed,), time_limit_s=10, solve=FAST)
    policies = [policy_named(name) for name in ("fixed", "threshold-60", "curbside")]
    return score_policies(params, policies)


def test_the_score_of_a_fixed_seed_repeats() -> None:
    """Two runs of the same city, seed and policies give the same figures."""
    first = small_run()
    assert first == small_run()
    assert [run.policy for run in first] == ["fixed round", "above 60 %", "curbside"]
    for run in first:
        assert run.emptied > 0
        assert run.distance_km > 0
        assert run.collected_l > 0
        assert 0 < run.mean_fill_pct <= 100


def test_another_seed_scores_another_city() -> None:
    """The seed changes the city and its waste, hence the figures."""
    assert small_run(5)[0] != small_run(6)[0]


def test_the_warm_up_empties_each_bin_on_its_weekday() -> None:
    """A week of the fixed round before the start: every bin emptied once, on its weekday."""
    city = generate_city(bins=60, seed=3)
    twin, observations = warm_up(city, FillModel(city, 3), 3, DEFAULT_START, 7)

    assert twin.today == DEFAULT_START
    emptied = np.array([r.emptied for r in twin.records])
    assert emptied.sum(axis=0).tolist() == [1] * len(city.bins)
    for record in twin.records:
        weekdays = {city.bins[i].round_weekday for i in np.flatnonzero(record.emptied)}
        assert weekdays <= {record.day.weekday()}
    assert len(twin.records) == 7
    assert twin.records[0].day == DEFAULT_START - timedelta(days=7)
    assert np.all(observations.rates() >= 0)


def test_the_table_puts_policies_side_by_side_with_their_spread() -> None:
    """The mean over the seeds, then ± the sample standard deviation."""
    base = RunScore(
        policy="a", seed=1, distance_km=10.0, truck_hours=2.0, routes=1, emptied=10, missed=0,
        disposal_trips=1, extra_trips=0, collected_l=1000.0, overflow_bin_days=3,
        overflow_l=0.0, mean_fill_pct=50.0, late_returns=0,
    )  # fmt: skip
    runs = [
        base,
        dataclasses.replace(base, seed=2, distance_km=20.0, collected_l=4000.0),
        dataclasses.replace(base, policy="b", overflow_bin_days=7),
    ]
    lines = score_table(runs)

    assert lines[0].split() == ["a", "b"]
    km = next(line for line in lines if line.startswith("km driven"))
    assert km.split()[-4:] == ["15.0", "±", "7.1", "10.0"]
    per_km = next(line for line in lines if line.startswith("litres per km"))
    assert per_km.split()[-4:] == ["150", "±", "71", "100"]
    overflow = next(line for line in lines if line.startswith("overflow bin-days"))
    assert overflow.split()[-4:] == ["3.0", "±", "0.0", "7.0"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bins", 0, "bins"),
        ("days", 0, "days"),
        ("seeds", (), "seeds"),
        ("seeds", (1, 1), "seeds"),
        ("seeds", (-1,), "seeds"),
        ("time_limit_s", 0.0, "time_limit_s"),
        ("warmup_days", -1, "warmup_days"),
    ],
)
def test_bad_score_params_are_refused(field: str, value: object, message: str) -> None:
    """Each bad parameter raises ValueError naming it."""
    with pytest.raises(ValueError, match=message):
        ScoreParams(**{field: value})  # type: ignore[arg-type]


def test_policies_need_distinct_names() -> None:
    """Two policies with the same name could not be told apart in the table."""
    with pytest.raises(ValueError, match="distinct"):
        score_policies(ScoreParams(bins=5, days=1), [FixedRound(), FixedRound()])


def test_the_command_prints_the_policies_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    """`curbside simulate score` runs the policies on a small city and prints the table."""
    argv = ["simulate", "score", "--bins", "30", "--days", "2", "--seeds", "3"]
    argv += ["--time-limit", "2", "--policies", "fixed", "threshold-50"]

    assert main(argv) == 0

    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith("==>")]
    header = next(line for line in lines if "fixed round" in line)
    assert header.split() == ["fixed", "round", "above", "50", "%"]
    assert any(line.startswith("overflow bin-days") for line in lines)
    assert "scored in" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--policies", "fixed", "sometimes"], "unknown policy"),
        (["--seeds", "1", "1"], "seeds"),
        (["--city", "city.json"], "--city"),
    ],
)
def test_the_command_refuses_bad_options(
    extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad policy, a repeated seed or an option of another action is an error."""
    assert main(["simulate", "score", "--bins", "5", "--days", "1", *extra]) == 1
    assert message in capsys.readouterr().err
