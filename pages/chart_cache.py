"""Charts drawn from Vega-Lite specs that are built once per distinct input and then cached.

Building an Altair chart validates every part of it against the Vega-Lite schema. That costs more than the rest
of a warm page run (about 50 ms a chart), and it would be paid on every run. So a page names a chart builder from
pages/charts.py and its inputs, and the spec is built on a cache miss only; a warm run is layout only.
"""
from __future__ import annotations

import importlib

import streamlit as st

from pages import cache_keys


@st.cache_data(show_spinner=False, max_entries=2048)
def _spec(builder: str, key: str, _args: tuple, _kwargs: dict) -> dict:
    module_name, _, name = builder.rpartition(".")
    chart = getattr(importlib.import_module(module_name), name)(*_args, **_kwargs)
    return chart.to_dict()


def draw(builder, *args, **kwargs) -> None:
    """`draw(charts.rate_lines, rows, series, title)`: st.altair_chart of that chart, at full width."""
    spec = _spec(f"{builder.__module__}.{builder.__qualname__}", cache_keys.key(args, kwargs), args, kwargs)
    st.vega_lite_chart(spec, width="stretch")
