"""A warm run of a page is layout only: it shares the cached view models instead of copying them, sends the Arrow
tables, chart specs and chart data it already has, and makes a table's CSV only when its download is clicked
(app/cache.py, app/layout.py, app/chart_cache.py). Many viewers queue behind each other's warm runs (app/turns.py),
so whatever a warm run repeats, every viewer waits for."""
import pickle

import pandas as pd
import pyarrow as pa
import pytest
import streamlit

from conftest import app
from queries import formats, warehouse

PAGES = ["app/pages/overview.py", "app/pages/adoption.py", "app/pages/coe.py", "app/pages/communities.py",
         "app/pages/alignment.py", "app/pages/stages.py"]


@pytest.fixture
def counted(monkeypatch):
    """How many times each conversion a warm run should not repeat was called: ours (app/arrow.py), and the ones
    Streamlit would make if it were given a DataFrame, or a chart's rows, instead of their Arrow form."""
    from app import arrow, chart_cache

    calls = {"DataFrame to Arrow": 0, "rows to DataFrame": 0, "CSV": 0, "chart spec looked up": 0}

    def counting(name, func):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return func(*args, **kwargs)
        return wrapper

    def dataframe(data=None, *args, **kwargs):
        calls["DataFrame to Arrow"] += not isinstance(data, pa.Table)
        return shown_table(data, *args, **kwargs)

    def vega_lite_chart(spec, *args, **kwargs):  # the pages pass the spec alone, its data in its datasets
        calls["rows to DataFrame"] += sum(chart_cache._tabular(rows) for rows in spec.get("datasets", {}).values())
        return shown_chart(spec, *args, **kwargs)

    shown_table, shown_chart = streamlit.dataframe, streamlit.vega_lite_chart
    monkeypatch.setattr(streamlit, "dataframe", dataframe)
    monkeypatch.setattr(streamlit, "vega_lite_chart", vega_lite_chart)
    monkeypatch.setattr(arrow, "table", counting("DataFrame to Arrow", arrow.table))
    monkeypatch.setattr(arrow, "stream", counting("rows to DataFrame", arrow.stream))
    monkeypatch.setattr(formats, "safe_csv", counting("CSV", formats.safe_csv))
    monkeypatch.setattr(chart_cache, "spec_for", counting("chart spec looked up", chart_cache.spec_for))
    return calls


@pytest.mark.parametrize("page", PAGES)
def test_a_warm_run_converts_nothing_and_makes_no_csv(demo_db, page, counted):
    at = app(page if page != "app/pages/overview.py" else None)  # the first run fills the caches
    assert not at.exception, at.exception
    for name in counted:
        counted[name] = 0
    at.run()
    assert not at.exception, at.exception
    assert at.get("download_button"), "the page offers its tables' downloads all the same"
    assert counted == {"DataFrame to Arrow": 0, "rows to DataFrame": 0, "CSV": 0, "chart spec looked up": 0}


@pytest.mark.parametrize("page", PAGES)
def test_no_page_changes_the_view_models_it_shares(demo_db, page, monkeypatch):
    """Runs share one view model per cached read, so a page that changed one would change it for every viewer."""
    read, models = warehouse.read_at, []

    def recording(*args, **kwargs):
        model = read(*args, **kwargs)
        models.append((model, pickle.dumps(model)))
        return model

    monkeypatch.setattr(warehouse, "read_at", recording)
    at = app(page if page != "app/pages/overview.py" else None)
    at.run()
    assert not at.exception, at.exception
    assert models, "the page read its view model through the cache"
    for model, as_read in models:
        assert pickle.dumps(model) == as_read, f"{type(model).__name__} changed after it was cached"


def test_a_table_download_is_made_on_click_from_the_rows_shown(monkeypatch):
    from app import layout
    from queries import views

    table = views.Table(pd.DataFrame({"Department": ["=HYPERLINK(1)", "Sales"], "Adoption": ["10%", "20%"]}),
                        "departments")
    offered = {}
    monkeypatch.setattr(layout.st, "download_button", lambda label, data, *args, **kwargs: offered.update(data=data))
    layout.download_table(table)
    assert callable(offered["data"])
    assert offered["data"]() == formats.safe_csv(table.frame)


def test_what_a_run_makes_for_a_shared_part_is_made_once_and_forgotten_with_it():
    import gc

    from app import cache

    frame, made = pd.DataFrame({"Department": ["Sales"]}), []
    first = cache.once_per(frame, "arrow", lambda: made.append("first") or "the table")
    again = cache.once_per(frame, "arrow", lambda: made.append("again") or "another table")
    assert first == again == "the table" and made == ["first"]
    key = ("arrow", id(frame))
    del frame
    gc.collect()
    assert key not in cache._derived  # a new object that reuses the id starts afresh


def test_a_part_without_weak_references_is_refused_and_nothing_is_kept():
    from app import cache

    kept = dict(cache._derived)
    with pytest.raises(TypeError):
        cache.once_per([1, 2], "arrow", lambda: "made")
    assert cache._derived == kept


def test_showing_a_cached_spec_never_changes_it():
    """Every run shows the same cached spec (app/chart_cache.py show): st.vega_lite_chart must find nothing to
    change in it, even below its top level (it writes a colour legend's null title as " ")."""
    import copy

    from app import chart_cache
    from queries import charts

    rows = [{"month": "2026-09-01", "adoption_rate": 0.4}, {"month": "2026-10-01", "adoption_rate": 0.5}]
    spec, table = chart_cache.spec_for(charts.rate_lines, rows, {"adoption_rate": "Adoption"}, "Adoption")
    assert spec["encoding"]["color"]["title"] == " "  # Altair wrote None: the case Streamlit changes
    before = copy.deepcopy(spec)
    chart_cache.show(spec, table)
    assert spec == before
