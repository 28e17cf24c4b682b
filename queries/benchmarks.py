"""Reference benchmarks: published figures (data/benchmarks.toml) drawn beside our own, loaded and checked here."""
from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .formats import user
from .rubric import PROJECT_ROOT

DEFAULT_BENCHMARKS = PROJECT_ROOT / "data" / "benchmarks.toml"
# The measures a reference may name, and where it is drawn (docs/metrics.md#reference-benchmarks). All are shares.
METRICS = {
    "adoption_rate": "Adoption",
    "contribution_rate": "Contribution",
    "creator_share": "Creators",
    "observer_share": "Observers",
    "habitual_share": "Habitual",
    "stickiness": "Stickiness",
}


class BenchmarkError(ValueError):
    """The benchmarks file cannot be used; the message names the file and the entry at fault."""


@dataclass(frozen=True)
class Benchmark:
    metric: str
    value: float
    label: str
    source: str
    year: int
    url: str | None = None

    @property
    def caption(self) -> str:
        return f"{self.label}, as reported by {self.source} ({self.year})"

    @property
    def publisher(self) -> str:
        """Whose figure it is, without the report's title ("SWOOP Analytics, 2022/23 …" → "SWOOP Analytics")."""
        return self.source.split(",")[0]

    @property
    def tag(self) -> str:
        """The few words written on the chart beside the line (the tooltip holds the caption)."""
        return f"{METRICS[self.metric]} {self.value:.0%}: {self.publisher}, {self.year}"

    def line(self) -> dict:
        """The reference as queries/charts.reference_lines draws it."""
        return {"value": self.value, "label": self.caption, "tag": self.tag}


def benchmarks_path() -> Path:
    return Path(os.environ.get("DASHBOARD_BENCHMARKS") or DEFAULT_BENCHMARKS)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def parse(raw: dict, where: str = "benchmarks") -> tuple[Benchmark, ...]:
    entries = raw.get("benchmarks", [])
    if not isinstance(entries, list):
        raise BenchmarkError(f"{where}: [[benchmarks]] must be a list of entries.")
    found = []
    for number, entry in enumerate(entries, start=1):
        at = f"{where}, benchmark {number}"
        if not isinstance(entry, dict):
            raise BenchmarkError(f"{at}: not a table of metric, value, label, source and year.")
        metric = entry.get("metric")
        if metric not in METRICS:
            raise BenchmarkError(f"{at}: metric {metric!r} is not one of {', '.join(METRICS)}.")
        value = entry.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0 <= value <= 1:
            raise BenchmarkError(f"{at}: value must be a share between 0 and 1 (0.10 = 10%), not {value!r}.")
        texts = {}
        for key in ("label", "source"):
            text = entry.get(key)
            if not isinstance(text, str) or not text.strip():
                raise BenchmarkError(f"{at}: {key} is missing; say what the figure counts and who published it.")
            texts[key] = text.strip()
        year = entry.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
            raise BenchmarkError(f"{at}: year must be the year it was published, such as 2023, not {year!r}.")
        url = entry.get("url")
        if url is not None and not isinstance(url, str):
            raise BenchmarkError(f"{at}: url must be text.")
        found.append(Benchmark(metric, float(value), texts["label"], texts["source"], year, url))
    return tuple(found)


def load(path: Path | str | None = None) -> tuple[Benchmark, ...]:
    """The references in force (DASHBOARD_BENCHMARKS, else data/benchmarks.toml); none when the file is absent."""
    path = Path(path or benchmarks_path())
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        return ()
    except tomllib.TOMLDecodeError as error:
        raise BenchmarkError(f"{_shown(path)}: not valid TOML: {error}.") from None
    return parse(raw, _shown(path))


def read() -> tuple[tuple[Benchmark, ...], str | None]:
    """(the references, None), or ((), why the file cannot be used): a page shows the reason and goes on."""
    try:
        return load(), None
    except BenchmarkError as error:
        return (), f"The reference benchmarks are not shown: {user(str(error))}"


def lines(references, *metrics: str) -> tuple[dict, ...]:
    """The reference lines for a chart of these metrics, in the order the metrics are given."""
    return tuple(b.line() for metric in metrics for b in references if b.metric == metric)


def versus(references, metric: str, ours: float | None) -> str | None:
    """The short "vs reference" note under a tile: each reference for the metric, whose it is, and how far ours is
    from it (the tooltip, `versus_detail`, says what the figure is). The file's text is marked as supplied
    (formats.user), so a page shows it as written, never as markdown."""
    notes = []
    for b in references:
        if b.metric != metric:
            continue
        gap = "" if ours is None else f"; ours {(ours - b.value) * 100:+.0f} pts"
        notes.append(f"vs reference {b.value:.0%} ({user(b.publisher)}, {b.year}){gap}")
    return " · ".join(notes) or None


def versus_detail(references, metric: str) -> str | None:
    """What each reference of the metric is, in full: the tooltip of the tile's note."""
    return " ".join(f"{b.value:.0%}: {user(b.caption)}." for b in references if b.metric == metric) or None
