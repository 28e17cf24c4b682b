"""Initiatives and their measured effect (queries/initiatives.py, docs/metrics.md#initiative-effect)."""
import datetime as dt

import numpy as np
import pytest

from queries import initiatives
from queries.initiatives import Initiative

START = dt.date(2026, 4, 1)
WINDOW = [dt.date(2026, m, 1) for m in range(1, 7)]  # three months before April, three from it


def test_a_hand_computed_effect_with_its_event_study():
    rates = {
        # before: 0.30, 0.30, 0.30; after: 0.40, 0.42, 0.44 → change 0.12
        "Sales": dict(zip(WINDOW, [0.30, 0.30, 0.30, 0.40, 0.42, 0.44])),
        # change 0.10
        "Sales Ops": dict(zip(WINDOW, [0.20, 0.20, 0.20, 0.30, 0.30, 0.30])),
        # changes 0.02 and 0.00
        "Legal": dict(zip(WINDOW, [0.50, 0.50, 0.50, 0.52, 0.52, 0.52])),
        "Finance": dict(zip(WINDOW, [0.40, 0.40, 0.40, 0.40, 0.40, 0.40])),
        # below the minimum group size in one month: left out of both sides
        "HR": dict(zip(WINDOW, [0.1, None, 0.1, 0.9, 0.9, 0.9])),
    }
    result = initiatives.estimate(Initiative("Champion pilot", START, None, ("Sales", "Sales Ops", "HR")),
                                  "adoption", rates, {})
    assert result.effect == pytest.approx(0.11 - 0.01)
    assert result.covered == ("Sales", "Sales Ops") and result.others == 2
    assert result.by_month[-3] == pytest.approx(0.25 - 0.45)
    assert result.by_month[2] == pytest.approx(0.37 - 0.46)
    assert sorted(result.by_month) == [-3, -2, -1, 0, 1, 2]
    low, high = result.ci90
    assert low < result.effect < high and low > 0
    assert "rose 10.0 points more than in the 2 other departments" in result.sentence
    assert result.as_json()["ci90"] == [low, high]
    assert result.as_json()["by_month"]["-3"] == pytest.approx(-0.2)


def test_the_sentence_says_plainly_when_the_interval_includes_zero():
    rates = {"A": dict(zip(WINDOW, [0.3, 0.3, 0.3, 0.35, 0.3, 0.32])),
             "B": dict(zip(WINDOW, [0.3, 0.3, 0.3, 0.28, 0.33, 0.3])),
             "C": dict(zip(WINDOW, [0.3, 0.3, 0.3, 0.3, 0.36, 0.3])),
             "D": dict(zip(WINDOW, [0.3, 0.3, 0.3, 0.29, 0.3, 0.27]))}
    result = initiatives.estimate(Initiative("x", START, None, ("A", "B")), "contribution", rates, {})
    assert result.includes_zero
    assert "includes zero" in result.sentence and "could be chance" in result.sentence


def test_a_placebo_interval_includes_zero_in_at_least_85_of_100_seeded_runs():
    """No effect at all, departments on their own noisy paths: the 90% interval should hold zero ~90 times."""
    holds = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        rates = {}
        for department in range(12):
            level = rng.uniform(0.2, 0.7)
            common = np.cumsum(rng.normal(0.01, 0.005, 6))
            rates[f"D{department}"] = dict(zip(WINDOW, level + common + rng.normal(0, 0.03, 6)))
        covered = tuple(f"D{d}" for d in rng.choice(12, size=4, replace=False))
        result = initiatives.estimate(Initiative("placebo", START, None, covered), "adoption", rates, {})
        holds += result.includes_zero
    assert holds >= 85


def test_the_whole_organisation_has_before_and_after_only():
    organisation = dict(zip(WINDOW, [0.40, 0.40, 0.40, 0.50, 0.50, 0.50]))
    result = initiatives.estimate(Initiative("Launch", START), "adoption", {}, organisation)
    assert result.effect is None and result.ci90 is None
    assert result.reason == initiatives.NO_COMPARISON
    assert (result.before, result.after) == (pytest.approx(0.40), pytest.approx(0.50))
    assert "no comparison group: not an effect estimate" in result.sentence
    assert result.as_json()["reason"] == initiatives.NO_COMPARISON


def test_without_the_months_after_the_start_there_is_no_estimate_yet():
    rates = {d: dict(zip(WINDOW[:4], [0.3] * 4)) for d in "ABCD"}
    result = initiatives.estimate(Initiative("x", START, None, ("A",)), "adoption", rates, {})
    assert result.effect is None and "none of the departments it covers" in result.reason
