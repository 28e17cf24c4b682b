"""Reference benchmarks (docs/metrics.md#reference-benchmarks): the seeded file loads, a bad file is named with the
reason and changes nothing else, and the references reach the charts and the Overview tiles."""
import pytest

from queries import benchmarks, formats, metrics, views


def test_the_seeded_file_loads_with_sources_and_years():
    found = benchmarks.load()
    assert {b.metric for b in found} <= set(benchmarks.METRICS)
    assert all(b.source and 1900 < b.year <= 2100 and 0 <= b.value <= 1 for b in found)
    nngroup = next(b for b in found if b.metric == "contribution_rate")
    assert (nngroup.value, nngroup.year) == (0.10, 2006)
    assert nngroup.caption.endswith("as reported by Nielsen Norman Group (2006)")


@pytest.mark.parametrize("entry, message", [
    ('metric = "happiness"\nvalue = 0.1\nlabel = "x"\nsource = "y"\nyear = 2020', "metric 'happiness' is not one of"),
    ('metric = "stickiness"\nvalue = 12\nlabel = "x"\nsource = "y"\nyear = 2020', "value must be a share"),
    ('metric = "stickiness"\nvalue = 0.5\nlabel = ""\nsource = "y"\nyear = 2020', "label is missing"),
    ('metric = "stickiness"\nvalue = 0.5\nlabel = "x"\nsource = "y"\nyear = "2020"', "year must be"),
])
def test_a_bad_entry_is_named_with_the_reason(tmp_path, monkeypatch, entry, message):
    path = tmp_path / "peers.toml"
    path.write_text("[[benchmarks]]\n" + entry + "\n")
    with pytest.raises(benchmarks.BenchmarkError, match="benchmark 1: " + message):
        benchmarks.load(path)
    monkeypatch.setenv("DASHBOARD_BENCHMARKS", str(path))
    found, problem = benchmarks.read()
    assert found == () and "The reference benchmarks are not shown" in problem


def test_no_file_shows_no_references(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_BENCHMARKS", str(tmp_path / "absent.toml"))
    assert benchmarks.read() == ((), None)


def test_an_organisation_s_own_figures_reach_the_tiles_and_charts(demo_db, tmp_path, monkeypatch, conn):
    path = tmp_path / "peers.toml"
    path.write_text('[[benchmarks]]\nmetric = "adoption_rate"\nvalue = 0.5\nlabel = "Peer median"\n'
                    'source = "Our peer group"\nyear = 2025\n')
    monkeypatch.setenv("DASHBOARD_BENCHMARKS", str(path))
    scope = views.scope_for(metrics.months(conn))
    overview = views.overview(conn, scope, None)
    adoption_tile, contribution_tile = overview.tiles[0][:2]
    ours = metrics.org_month(conn, scope.month)["adoption_rate"]
    assert formats.as_text(adoption_tile.reference) == (
        f"vs reference 50% (Our peer group, 2025); ours {(ours - 0.5) * 100:+.0f} pts")
    assert formats.as_text(adoption_tile.reference_help) == "50%: Peer median, as reported by Our peer group (2025)."
    assert contribution_tile.reference is None
    assert overview.trend.kwargs["references"] == ({"value": 0.5,
                                                     "label": "Peer median, as reported by Our peer group (2025)",
                                                     "tag": "Adoption 50%: Our peer group, 2025"},)
    spec = overview.trend.build().to_dict()
    assert "layer" in spec  # the lines and the labelled reference
    texts = [v for d in spec["datasets"].values() for row in d for k, v in row.items() if k == "text"]
    assert texts == ["Adoption 50%: Our peer group, 2025"]  # short on the chart; the whole caption in the tooltip
    adoption = views.adoption_view(conn, scope)
    assert adoption.trend.kwargs["references"] == overview.trend.kwargs["references"]
