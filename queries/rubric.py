"""The stage rubric file: where it is and which criteria are answered by the checklist."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

DEFAULT_RUBRIC = Path(__file__).resolve().parent.parent / "data" / "stages.toml"


def rubric_path() -> Path:
    return Path(os.environ.get("DASHBOARD_RUBRIC") or DEFAULT_RUBRIC)


def load_raw(path: Path | None = None) -> dict:
    with open(path or rubric_path(), "rb") as handle:
        return tomllib.load(handle)


def checklist_ids(path: Path | None = None) -> list[str]:
    """Ids of the criteria answered yes/no on the checklist."""
    return [c["id"].lower() for c in load_raw(path).get("criteria", []) if c.get("measure") == "checklist"]


def min_group_size(path: Path | None = None) -> int:
    """Smallest group any view may show: DASHBOARD_MIN_GROUP_SIZE, else the rubric's setting, else 5."""
    if os.environ.get("DASHBOARD_MIN_GROUP_SIZE"):
        return max(1, int(os.environ["DASHBOARD_MIN_GROUP_SIZE"]))
    return int(load_raw(path).get("settings", {}).get("min_group_size", 5))


def pitfall_share(path: Path | None = None) -> float:
    """Above this share of posts and replies written by champions, the CoE page flags the CoE pitfall."""
    if os.environ.get("DASHBOARD_PITFALL_SHARE"):
        return float(os.environ["DASHBOARD_PITFALL_SHARE"])
    return float(load_raw(path).get("settings", {}).get("coe_pitfall_share", 0.30))
