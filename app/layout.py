"""How the pages lay out what a view model holds: headlines, tiles, charts, tables with their downloads, and the
states every page shares (no data yet, withheld, demo data)."""
from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import streamlit as st

from app import arrow, cache, chart_cache, signin
from queries import formats


def plain(text: str) -> str:
    """User-supplied text made safe inside markdown: every ASCII punctuation mark is backslash-escaped, so a
    department called "[x](https://…)" shows as typed instead of becoming a link, emphasis or a heading."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", str(text))


def markdown(sentence: str) -> str:
    """A view model's sentence as markdown: the text people supplied in it (formats.user) escaped, ours as is."""
    return re.sub(f"{formats.USER_START}(.*?){formats.USER_END}", lambda found: plain(found.group(1)), sentence,
                  flags=re.DOTALL)


def headline(sentence: str) -> None:
    """The sentence that opens a page, under its title (a level-2 heading, so headings never skip a level)."""
    st.markdown("## " + markdown(sentence))


def whole_organisation(line: str | None) -> None:
    """A scoped viewer's one labelled line of whole-organisation figures (docs/deploy.md#department-scoped-viewers)."""
    if line:
        st.caption(":material/domain: " + markdown(line))


def tiles(row) -> None:
    for column, tile in zip(st.columns(len(row)), row):
        column.metric(tile.label, tile.value, tile.delta, help=tile.help, delta_color=tile.delta_color)


def chart(model) -> None:
    """A view model's Chart, drawn from its cached spec: looked up once per Chart (cache.once_per), since keying
    the spec on the chart's inputs (a year of rows) on every run cost more than drawing it."""
    chart_cache.show(*cache.once_per(model, "chart", lambda: chart_cache.spec_for(model.builder, *model.args,
                                                                                   **model.kwargs)))


def download_table(table, label: str = "Download this table (CSV)") -> None:
    # The file is made when the button is clicked, from the rows this run shows: making every table's file on
    # every run was a sixth of a warm page's time, for files few viewers download. No rerun on click: the page has
    # nothing new to show, and a rerun would replace the page's other download buttons under a viewer who clicks
    # one next.
    st.download_button(label, lambda frame=table.frame: formats.safe_csv(frame), f"{table.name}.csv", "text/csv",
                       icon=":material/download:", key=f"download_{table.name}", on_click="ignore")


def shown(frame: pd.DataFrame) -> pa.Table:
    """A view model's DataFrame as the Arrow table st.dataframe sends to the browser, converted once per frame
    (cache.once_per): converting every table on every run was a fifth of the Where we stand page's time."""
    return cache.once_per(frame, "arrow", lambda: arrow.table(frame))


def dataframe(frame: pd.DataFrame, **options) -> None:
    """`st.dataframe` for a DataFrame, at full width without its index. A missing value shows as a dash, as
    everywhere else, while its column keeps its type, so numbers still sort as numbers."""
    st.dataframe(shown(frame), hide_index=True, width="stretch", placeholder=formats.MISSING, **options)


def table(model, **options) -> None:
    """A view model's Table with its download: the file holds exactly the rows shown."""
    dataframe(model.frame, **options)
    download_table(model)


def needs_attention(model) -> None:
    """The Overview's alerts for the whole organisation, whatever the filters (like the stage box), each opening the
    page and filters that show it (docs/metrics.md#alerts); or why there are none, when the settings are wrong."""
    if not (model.needs_attention or model.alerts_note):
        return
    with st.container(border=True):
        st.markdown("**Needs attention**")
        st.caption(f"Whole organisation, {model.month:%B %Y}: each alert opens the page and filters that show it.")
        if model.needs_attention:
            st.markdown("\n".join(f"- [{plain(alert.message)}]({alert.link})" for alert in model.needs_attention))
        else:
            st.caption(plain(model.alerts_note))


def withheld(reason: str) -> None:
    st.warning(reason, icon=":material/visibility_off:")
    st.stop()


def link_to_data() -> None:
    """A link to the Data page, for the roles that have it; viewers are told who fills the gap instead."""
    if signin.actor().may("upload"):
        st.page_link("app/pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    else:
        st.caption("Your champions or CoE lead upload the data; ask them to fill this gap.")


def no_data_yet() -> None:
    """The empty state every view shows before the first upload."""
    st.info("No data yet. Upload your first exports on the Data page: start with the HR roster, then an "
            "activity export from Viva Engage, Teams or Slack.", icon=":material/upload_file:")
    link_to_data()
    st.stop()


def demo_notice(frame) -> None:
    if frame is not None and frame.demo_only:
        st.info(
            "**Demo data.** You are looking at a synthetic organisation of about 1,500 people. "
            "Upload your own exports on the Data page; the demo data can be undone there.",
            icon=":material/science:",
        )
