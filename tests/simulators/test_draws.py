"""Tests of simulators/draws.py: keyed random numbers."""

import statistics

import pytest

from simulators.draws import exponential, normal, random_bytes, uniforms


def test_the_same_key_gives_the_same_numbers_and_another_key_others() -> None:
    """Draws follow from the key alone; more numbers extend the same sequence."""
    assert uniforms(("a", 1), 5) == uniforms(("a", 1), 5)
    assert uniforms(("a", 1), 20)[:5] == uniforms(("a", 1), 5)
    assert uniforms(("a", 2), 5) != uniforms(("a", 1), 5)
    assert random_bytes(("a", 1), 100) == random_bytes(("a", 1), 100)
    assert len(random_bytes(("a", 1), 100)) == 100


def test_uniforms_are_uniform() -> None:
    """Within [0, 1), mean 1/2, each tenth holding about a tenth."""
    numbers = [u for n in range(2000) for u in uniforms(("u", n), 8)]
    assert all(0 <= u < 1 for u in numbers)
    assert statistics.mean(numbers) == pytest.approx(0.5, abs=0.01)
    tenths = [sum(1 for u in numbers if k / 10 <= u < (k + 1) / 10) for k in range(10)]
    assert all(abs(t - 1600) < 160 for t in tenths)


def test_normal_and_exponential_have_their_moments() -> None:
    """Box-Muller gives mean 0 and sd 1; an exponential of rate 2 has mean 1/2."""
    pairs = [uniforms(("n", n), 3) for n in range(20_000)]
    normals = [normal(a, b) for a, b, _ in pairs]
    assert statistics.mean(normals) == pytest.approx(0.0, abs=0.03)
    assert statistics.stdev(normals) == pytest.approx(1.0, abs=0.03)
    assert statistics.mean(exponential(c, 2.0) for _, _, c in pairs) == pytest.approx(0.5, abs=0.02)
    assert exponential(0.5, 0.0) == float("inf")
