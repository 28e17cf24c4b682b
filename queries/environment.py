"""The server's settings that environment variables override (timings, the upload limit), each range-checked where
it is read."""
from __future__ import annotations

import math
import os


class SettingError(ValueError):
    """An environment variable holds a value the setting cannot take."""


def seconds(name: str, default: float, high: float) -> float:
    """The number of seconds `name` sets (0 to `high`), else `default` when it is unset or empty."""
    return _number(name, default, 0, high, "a number of seconds", whole=False)


def megabytes(name: str, default: int, high: int) -> int:
    """The whole number of megabytes `name` sets (1 to `high`), else `default` when it is unset or empty."""
    return int(_number(name, default, 1, high, "a whole number of megabytes", whole=True))


def _number(name: str, default: float, low: float, high: float, what: str, whole: bool) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not low <= value <= high or (whole and not value.is_integer()):  # NaN (not a number) fails this too
        raise SettingError(f"{name} = {raw!r} must be {what} from {low:g} to {high:g} (unset, it is {default:g}).")
    return value
