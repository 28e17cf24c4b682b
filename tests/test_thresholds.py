"""Each threshold is defined once (queries/rubric.py): the rubric files, the docs, the scope the pages and the CLI
use and the CoE page agree with it, and an environment override out of its range is refused by name."""
import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from conftest import app
from queries import metrics, rubric, views
from queries.rubric import COE_PITFALL_SHARE, DEFAULT_RUBRIC, MIN_GROUP_SIZE, SETTINGS, RubricError

ROOT = Path(__file__).resolve().parent.parent
OVERRIDDEN = [s for s in SETTINGS if s.environment]
MONTHS = (metrics.as_month("2026-09"), metrics.as_month("2026-10"))


@pytest.fixture(autouse=True)
def _no_overrides(monkeypatch):
    for setting in OVERRIDDEN:
        monkeypatch.delenv(setting.environment, raising=False)
    monkeypatch.delenv("DASHBOARD_RUBRIC", raising=False)


def _rubric_with(tmp_path, old: str, new: str) -> Path:
    text = DEFAULT_RUBRIC.read_text()
    assert old in text
    path = tmp_path / "stages.toml"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize("file", [DEFAULT_RUBRIC, ROOT / "docs" / "rubric-example.toml"])
def test_the_rubric_files_write_each_setting_at_its_default(file):
    written = tomllib.loads(file.read_text())["settings"]
    assert written == {s.name: s.default for s in SETTINGS}


def test_a_rubric_without_settings_takes_the_defaults():
    raw = rubric.load_raw(DEFAULT_RUBRIC)
    del raw["settings"]
    parsed = rubric.parse(raw, DEFAULT_RUBRIC)
    built = rubric.Rubric("x", (), ())
    for setting in SETTINGS:
        assert getattr(parsed, setting.name) == getattr(built, setting.name) == setting.default


def test_every_reader_of_the_pitfall_share_and_the_minimum_group_size_agrees():
    loaded = rubric.load()
    scope = views.scope_for(MONTHS)
    assert (loaded.coe_pitfall_share == rubric.pitfall_share() == scope.pitfall_share
            == COE_PITFALL_SHARE.default)
    assert (loaded.min_group_size == rubric.min_group_size() == metrics.min_group_or_default(None)
            == scope.min_group == MIN_GROUP_SIZE.default)
    # A scope always carries the rubric's pitfall share: there is no second default to drift from it.
    field = next(f for f in dataclasses.fields(views.Scope) if f.name == "pitfall_share")
    assert field.default is dataclasses.MISSING


def test_an_organisation_rubric_and_the_overrides_reach_every_reader(tmp_path, monkeypatch):
    path = _rubric_with(tmp_path, "coe_pitfall_share = 0.30", "coe_pitfall_share = 0.25")
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(path))
    assert rubric.load().coe_pitfall_share == rubric.pitfall_share() == views.scope_for(MONTHS).pitfall_share == 0.25
    monkeypatch.setenv("DASHBOARD_PITFALL_SHARE", "0.4")
    monkeypatch.setenv("DASHBOARD_MIN_GROUP_SIZE", "7")
    scope = views.scope_for(MONTHS)
    assert rubric.load().coe_pitfall_share == rubric.pitfall_share() == scope.pitfall_share == 0.4
    assert rubric.load().min_group_size == rubric.min_group_size() == scope.min_group == 7


@pytest.mark.parametrize("variable, value", [
    ("DASHBOARD_MIN_GROUP_SIZE", "0"), ("DASHBOARD_MIN_GROUP_SIZE", "-3"), ("DASHBOARD_MIN_GROUP_SIZE", "2.5"),
    ("DASHBOARD_MIN_GROUP_SIZE", "five"), ("DASHBOARD_PITFALL_SHARE", "1.5"), ("DASHBOARD_PITFALL_SHARE", "-0.1"),
    ("DASHBOARD_PITFALL_SHARE", "30%"), ("DASHBOARD_PITFALL_SHARE", "nan")])
def test_an_override_out_of_range_is_refused_by_name(monkeypatch, variable, value):
    setting = next(s for s in OVERRIDDEN if s.environment == variable)
    monkeypatch.setenv(variable, value)
    expected = f"{variable} = {value!r} must be {setting.kind()} from {setting.low} to {setting.high}"
    for reader in (rubric.load, rubric.min_group_size, rubric.pitfall_share, lambda: views.scope_for(MONTHS)):
        with pytest.raises(RubricError, match=re.escape(expected)):
            reader()


def test_a_setting_out_of_range_in_the_file_is_refused_by_every_reader(tmp_path, monkeypatch):
    path = _rubric_with(tmp_path, "coe_pitfall_share = 0.30", "coe_pitfall_share = 30")
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(path))
    for reader in (rubric.load, rubric.pitfall_share, rubric.min_group_size):
        with pytest.raises(RubricError, match=r"settings\.coe_pitfall_share = 30 must be a number from 0\.0 to 1\.0"):
            reader()


def test_the_docs_give_each_setting_its_default_and_each_override():
    readme = (ROOT / "README.md").read_text()
    configuration = readme[readme.index("## Configuration"):]
    settings_table = (ROOT / "docs" / "metrics.md").read_text().split("## Settings", 1)[1]
    documented = dict(re.findall(r"^\| `(\w+)` \| ([\d.]+) \|", settings_table, re.M))
    assert {name: float(default) for name, default in documented.items()} == {s.name: s.default for s in SETTINGS}
    for setting in OVERRIDDEN:
        assert f"`{setting.environment}`" in configuration, setting.environment
        assert setting.environment in settings_table, setting.environment


def _champion_written_help(at) -> str:
    return next(m.help for m in at.metric if m.label == "Champion-written")


def test_the_coe_page_shows_the_rubric_pitfall_share(demo_db, tmp_path, monkeypatch):
    at = app("app/pages/coe.py")
    assert not at.exception, at.exception
    assert f"Above {rubric.pitfall_share():.0%} " in _champion_written_help(at)
    monkeypatch.setenv("DASHBOARD_RUBRIC", str(_rubric_with(tmp_path, "coe_pitfall_share = 0.30",
                                                             "coe_pitfall_share = 0.01")))
    at = app("app/pages/coe.py")
    assert not at.exception, at.exception
    assert "Above 1% " in _champion_written_help(at)
    assert any("CoE pitfall" in w.value and "(above 1%)" in w.value for w in at.warning)


@pytest.mark.parametrize("raw", ["-1", "3601", "soon", "nan"])
def test_a_timing_override_out_of_range_or_not_a_number_is_refused_naming_the_variable(raw, monkeypatch):
    from queries import environment

    monkeypatch.setenv("DASHBOARD_READ_WAIT", raw)
    with pytest.raises(environment.SettingError, match=r"DASHBOARD_READ_WAIT = .* from 0 to 3600"):
        environment.seconds("DASHBOARD_READ_WAIT", 10, 3600)
    monkeypatch.setenv("DASHBOARD_READ_WAIT", " ")
    assert environment.seconds("DASHBOARD_READ_WAIT", 10, 3600) == 10
    monkeypatch.setenv("DASHBOARD_READ_WAIT", "2.5")
    assert environment.seconds("DASHBOARD_READ_WAIT", 10, 3600) == 2.5
