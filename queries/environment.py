"""The server's timing settings that environment variables override, each range-checked where it is read."""
from __future__ import annotations

import math
import os


class SettingError(ValueError):
    """An environment variable holds a value the setting cannot take."""


def seconds(name: str, default: float, high: float) -> float:
    """The number of seconds `name` sets (0 to `high`), else `default` when it is unset or empty."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value <= high:  # NaN (not a number) fails this too
        raise SettingError(f"{name} = {raw!r} must be a number of seconds from 0 to {high:g} "
                           f"(unset, it is {default:g}).")
    return value
