"""Overview: the answer in ten seconds — where we stand among the six stages, headline tiles with deltas, the adoption
trend and who moved most."""
import streamlit as st

from app import cache, filters, layout
from queries import alerts, stages, views

scope = filters.scope()
st.title("Overview")
layout.demo_notice(filters.frame())
if scope is None:
    layout.no_data_yet()

try:
    rubric = stages.load()
except stages.RubricError as error:
    rubric = None
    st.warning(f"The stage rubric cannot be used: {layout.plain(error)}", icon=":material/stairs:")
# Today goes into the key: which exports are late changes with the day, not only with the data.
model = cache.read(views.overview, scope, rubric, today=alerts.utc_today())

# --- Where we stand: the compact ladder, for the whole organisation (the Where we stand page has the evidence) -----
if model.stage is not None:
    with st.container(border=True):
        left, right = st.columns([2, 3])
        with left:
            st.header(layout.markdown(model.stage.title), anchor=False)
            st.caption(layout.markdown(model.stage.caption))
            if model.stage.progress is not None:
                st.progress(model.stage.progress, text=layout.markdown(model.stage.progress_text))
        with right:
            layout.chart(model.stage.ladder)
            if model.stage.next_steps:
                st.caption(layout.markdown(model.stage.next_steps))
        st.page_link("app/pages/stages.py", label="Where we stand: the evidence, the outlook and the checklist",
                     icon=":material/stairs:")

if model.withheld:
    layout.needs_attention(model)  # the organisation's, like the stage box: shown however small the selection
    layout.withheld(model.withheld)

layout.headline(model.headline)
layout.whole_organisation(model.whole_organisation)
st.caption(layout.markdown(model.notes))
layout.needs_attention(model)


def executive_brief(where=cache.location(), scope=scope):
    """Built only when the button is clicked (Streamlit runs this on its own thread, with its own cursor)."""
    from queries import brief, warehouse

    with warehouse.opened(where) as conn:
        return brief.build_brief(conn, scope.month, scope.filters, scope.compare_to, scope.limited_to)


st.download_button("Download the executive brief (PDF)", executive_brief,
                   f"social-business-brief-{scope.month:%Y-%m}.pdf", "application/pdf",
                   icon=":material/picture_as_pdf:", on_click="ignore", key="download_brief",
                   help="A one-page A4 summary of this view for the board: stage, headline figures, two charts, the "
                        "next actions, data freshness and the filters applied.")

for row in model.tiles:
    layout.tiles(row)
    if any(tile.reference for tile in row):  # published figures to compare with (data/benchmarks.toml)
        for column, tile in zip(st.columns(len(row)), row):
            if tile.reference:
                column.caption(layout.markdown(tile.reference),
                               help=layout.markdown(tile.reference_help) if tile.reference_help else None)

left, right = st.columns([3, 2])
with left:
    if model.trend:
        layout.chart(model.trend)
        if model.forecast_note:
            st.caption(layout.markdown(model.forecast_note))
    else:
        st.info("No activity uploaded for these months yet: upload an activity export on the Data page.")
with right:
    st.markdown("**Departments that moved most**")
    if model.movers:
        layout.table(model.movers)
    else:
        st.caption(model.movers_note)

if model.effects:
    st.markdown("**Initiatives and their measured effect on adoption**")
    st.caption("Each effect compares the departments of the whole organisation, whatever the filters.")
    st.markdown("\n".join(f"- {layout.markdown(effect)}" for effect in model.effects))
    st.page_link("app/pages/initiatives.py", label="Initiatives: every effect with its interval and event study",
                 icon=":material/flag:")
