"""Forecasts of a rate with an 80% interval (queries/forecasts.py, docs/metrics.md#forecasts)."""
import dataclasses
import datetime as dt

import numpy as np
import pytest

from queries import forecasts, metrics


def months(n, first=dt.date(2025, 1, 1)):
    return [metrics.shift_month(first, i) for i in range(n)]


def test_too_short_a_history_gives_no_band_and_says_why():
    history = list(zip(months(5), [0.2, 0.22, 0.25, 0.27, 0.3]))
    result = forecasts.forecast(history)
    assert result.points == ()
    assert "at least 6 months" in result.reason and "are 5" in result.reason


def test_a_latest_month_without_a_value_gives_no_forecast():
    history = list(zip(months(8), [0.2] * 7 + [None]))
    assert forecasts.forecast(history).points == ()


def test_a_steady_climb_is_forecast_onwards_inside_zero_to_one_with_widening_bands():
    rng = np.random.default_rng(3)
    values = [min(0.95, 0.2 + 0.03 * i + rng.normal(0, 0.005)) for i in range(14)]
    result = forecasts.forecast(list(zip(months(14), values)), months=6)
    assert [p.month for p in result.points] == months(6, dt.date(2026, 3, 1))
    assert all(0 <= p.lo80 <= p.value <= p.hi80 <= 1 for p in result.points)
    assert result.points[0].value > values[-1] - 0.02
    widths = [p.hi80 - p.lo80 for p in result.points]
    assert widths[-1] > widths[0]


def test_a_gap_month_inside_the_history_is_missing_not_zero():
    values = [0.3 + 0.01 * i for i in range(10)]
    values[4] = None
    result = forecasts.forecast(list(zip(months(10), values)))
    assert result.points and result.points[0].value > 0.35


def test_the_chance_of_reaching_a_target_follows_the_forecast():
    point = forecasts.Point(dt.date(2026, 12, 1), 0.6, 0.55, 0.65, 0.15)
    assert forecasts.chance_of_reaching(point, 0.6) == pytest.approx(0.5)
    assert forecasts.chance_of_reaching(point, 0.5) > 0.9
    assert forecasts.chance_of_reaching(point, 0.7) < 0.1
    assert forecasts.chance_of_reaching(point, 0.7, higher_is_better=False) > 0.9


def test_reach_gives_a_month_and_its_80_percent_range():
    def p(month, value, lo, hi):
        return forecasts.Point(dt.date(2027, month, 1), value, lo, hi, 0.1)

    prediction = forecasts.Forecast((p(1, 0.50, 0.45, 0.61), p(2, 0.55, 0.48, 0.63), p(3, 0.60, 0.52, 0.68),
                                     p(4, 0.62, 0.55, 0.70), p(7, 0.66, 0.60, 0.75)))
    reached = forecasts.reach(prediction, 0.6)
    assert (reached.month, reached.earliest, reached.latest) == (dt.date(2027, 3, 1), dt.date(2027, 1, 1),
                                                                 dt.date(2027, 7, 1))
    assert reached.text == "reached by March 2027 (80%: January–July 2027)"
    never = forecasts.reach(prediction, 0.9)
    assert never.text == "not reached by July 2027 on the current course"


def test_a_stage_projection_of_adoption_gives_the_forecast_s_month_and_80_percent_range(db):
    """The Where we stand page's projection for an adoption criterion (docs/metrics.md#forecasts)."""
    from test_initiatives import org_files

    from queries import stages, uploads, warehouse

    for name, text, month, kind in org_files("stage"):
        uploads.import_file(name, text.encode(), location=db, month=month, kind=kind)
    rubric = stages.load()
    adoption = next(c for c in rubric.criteria if c.measure == "adoption_rate")
    with warehouse.opened(db) as conn:
        placement = stages.evaluate(conn, "2026-06", rubric)
        asked = dataclasses.replace(placement, projections={adoption.id: stages.Projection(adoption.id, None, None, 6)})
        projected = stages.with_forecasts(conn, asked, rubric).projections[adoption.id]
        prediction = forecasts.of_metric(conn, "adoption", stages.PROJECTION_MONTHS, until=dt.date(2026, 6, 1))
    expected = forecasts.reach(prediction, adoption.threshold)
    assert projected.forecast == expected.text
    assert projected.forecast.startswith(("reached by", "not reached by"))
    words = stages.gap_words(placement.criterion(adoption.id), projected)
    assert words.projection == f"Forecast: {expected.text}."


def test_the_where_we_stand_page_model_gives_the_forecast_projection(db, monkeypatch):
    """Through views.standing, as the page reads it: an adoption gap says when the forecast reaches it."""
    from test_initiatives import org_files

    from queries import stages, uploads, views, warehouse

    for name, text, month, kind in org_files("standing"):
        uploads.import_file(name, text.encode(), location=db, month=month, kind=kind)
    rubric = stages.load()
    adoption = next(c for c in rubric.criteria if c.measure == "adoption_rate")
    placed = stages.place

    def with_an_adoption_gap(*args, **kwargs):  # the small organisation is at stage 0: make 2a the next gap
        placement = placed(*args, **kwargs)
        return dataclasses.replace(placement, next_stage_gaps=(adoption.id,),
                                   projections={adoption.id: stages.Projection(adoption.id, None, None, 6)})

    monkeypatch.setattr(stages, "place", with_an_adoption_gap)
    with warehouse.opened(db) as conn:
        model = views.standing(conn, views.scope_for(metrics.months(conn)), rubric)
    [gap] = model.gaps
    assert gap.projection.startswith("Forecast: reached by") or gap.projection.startswith("Forecast: not reached")
