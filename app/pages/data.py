"""Data: upload exports (preview, then confirm), the upload ledger with undo, data protection (retention, and
erasure for admins), and the canonical templates."""
import datetime as dt
import os

import pandas as pd
import streamlit as st

from app import cache, digest_offer, filters, layout, signin, turns
from queries import (access, departments, erasure, formats, imports, initiatives, metrics, retention, storage, targets,
                     uploads, warehouse)
from queries.imports import slack, templates
from queries.imports import mapping as column_mapping

filters.scope()
me = signin.actor()
st.title("Data")
if not me.may("upload"):
    # Viewers never get this page in their navigation; this also refuses a direct URL.
    st.error("Your role may view the dashboard but not upload data. Ask an admin for champion access.",
             icon=":material/block:")
    st.stop()
st.write("Upload this month's exports. Each file is checked and previewed; nothing is stored until you confirm.")

for message in st.session_state.pop("import_messages", []):
    st.success(message, icon=":material/check_circle:")
for message in st.session_state.pop("import_errors", []):
    st.error(message, icon=":material/block:")

# --- Upload -------------------------------------------------------------------------------------------------------
today = dt.date.today().replace(day=1)
recent_months = []
for _ in range(36):
    today = (today - dt.timedelta(days=1)).replace(day=1)
    recent_months.append(today.strftime("%Y-%m"))
FROM_FILE = "From the file"
DETECT = "Detect from the columns"
uploader_key = f"uploader_{st.session_state.get('uploader_generation', 0)}"

# A month the chosen files' names suggest (Slack names its exports after their range) becomes the form's default,
# once per suggestion, so the uploader sees it and may change it.
named = slack.month_named_by_all([f.name for f in st.session_state.get(uploader_key) or []])
if named:
    recent_months = sorted({*recent_months, named.label}, reverse=True)
if named and st.session_state.get("upload_month", FROM_FILE) == FROM_FILE \
        and st.session_state.get("upload_month_offered") != (uploader_key, named.label):
    st.session_state["upload_month"] = named.label
    st.session_state["upload_month_offered"] = (uploader_key, named.label)

left, right = st.columns(2)
month_choice = left.selectbox(
    "Month the files cover", [FROM_FILE, *recent_months], key="upload_month",
    help="Needed only for files that do not say which month they cover (for example a roster without a month "
         "column, the champion register, or Slack CSV exports).")
if named and month_choice == named.label:
    left.caption(f"Suggested by the file name: {named.reason}. Change it if the files cover another month.")
elif named:
    left.caption(f"The file name suggests {named.label}: {named.reason}.")
allow_period = left.checkbox(
    "Accept a report period that is not a month", key="allow_period",
    help="Microsoft 365 reports count as a month only when their period is 30 days. Tick this, and choose the "
         "month above, to import a 7-, 90- or 180-day report as that month.")
kind_choice = right.selectbox("Kind", [DETECT, *imports.KINDS], key="upload_kind",
                              help="Normally detected from the column names.")
files = st.file_uploader("Export files (CSV or XLSX)", type=["csv", "txt", "xlsx", "json", "ndjson"],
                         accept_multiple_files=True, key=uploader_key)

month = None if month_choice == FROM_FILE else month_choice
kind = None if kind_choice == DETECT else kind_choice
pepper = warehouse.pepper_for(cache.location())

NO_MAPPING = "No mapping"
MAPPING_LABELS = {  # the roster fields a column mapping fills (docs/formats.md#other-hr-exports)
    "person": "Email or user principal name (required)", "department": "Department (required)",
    "region": "Region", "country": "Country (region from the settings file's country map)",
    "business_unit": "Business unit", "level": "Level (executive, manager or staff, or through the level rules)",
    "title": "Job title (level through the level rules)",
    "identity": "Employee id (links a person's old and new email addresses)",
}


def chosen_mapping(index: int, name: str, offer) -> column_mapping.ColumnMapping | None:
    """The saved mapping to read a file with: the one saved for its very columns comes pre-selected."""
    if offer is None or not offer.saved:
        return None
    names = [m.name for m in offer.saved]
    choice = st.selectbox(f"Column mapping for {name}", [NO_MAPPING, *names], key=f"mapping_{index}_{offer.signature}",
                          index=names.index(offer.chosen.name) + 1 if offer.chosen else 0,
                          help="A saved mapping reads this file as an HR roster. It is pre-selected only for a file "
                               "with its very columns that does not import without one.")
    mapping = next((m for m in offer.saved if m.name == choice), None)
    if mapping is not None:
        made_for = "these columns" if mapping.signature == offer.signature else "a file with other columns"
        st.caption(f"Saved for {made_for} by {mapping.saved_by} on {mapping.saved_at} (UTC): {mapping.describe()}.")
    return mapping


def mapping_form(index: int, name: str, data: bytes, offer, current) -> None:
    """Map the columns of an HR export once; saving checks the mapping against the whole file first."""
    with st.expander(f"Map the columns of {name} as a roster", expanded=current is None,
                     icon=":material/table_convert:"):
        st.caption("This file looks like an HR roster that no built-in format reads. Choose which column holds each "
                   "field; the mapping is saved under a name and offered for files with the same columns. Names and "
                   "job titles are never stored: a job title only gives the level.")
        prefill = dict(current.columns) if current else offer.suggested
        options = [NO_MAPPING, *offer.headers]
        picked = {}
        left_column, right_column = st.columns(2)
        for number, (field, label) in enumerate(MAPPING_LABELS.items()):
            where = left_column if number % 2 == 0 else right_column
            default = prefill.get(field)
            picked[field] = where.selectbox(label, options, key=f"map_{index}_{offer.signature}_{field}",
                                            index=options.index(default) if default in options else 0)
        rules = st.text_area(
            "Level rules", value=column_mapping.rule_lines(current), key=f"map_{index}_{offer.signature}_rules",
            help="One rule a line, pattern → level (executive, manager or staff), for example Chief|President|VP → "
                 "executive. A pattern is a regular expression matched anywhere in the value, in any case; the first "
                 "rule that matches wins, so keep the most senior first. Whoever no rule matches gets the settings file's "
                 "roster.default_level (staff unless changed).")
        st.caption("The level rules read the job title column, or a level column whose values are not executive, "
                   "manager or staff (such as \"2 Executive\"). The preview counts the people at each level, so a "
                   "rule that misfires shows at once.")
        title = st.text_input("Name of the mapping", value=current.name if current else "", max_chars=60,
                              key=f"map_{index}_{offer.signature}_name", placeholder="for example Workday workers")
        if st.button("Save the mapping", key=f"map_{index}_{offer.signature}_save", icon=":material/save:"):
            columns = {field: column for field, column in picked.items() if column != NO_MAPPING}
            try:
                mapping = column_mapping.ColumnMapping.made(title, columns, offer.headers, level_rules=rules)
                with turns.aside(), warehouse.opened(cache.location()) as conn:
                    saved = uploads.save_mapping(conn, mapping, name, data, pepper=pepper, actor=me)
            except (imports.ImportRefused, warehouse.WarehouseBusy) as refused:
                st.error(f"The mapping was not saved. {refused}", icon=":material/block:")
            else:
                st.session_state["import_messages"] = [saved]
                # the new mapping is pre-selected on the rerun: drop the earlier choice for this file
                st.session_state.pop(f"mapping_{index}_{offer.signature}", None)
                st.rerun()


saved_mappings = cache.read(uploads.saved_mappings) if files else []
previews, preview_rows = [], []
for index, upload in enumerate(files or []):
    data = upload.getvalue()
    preview = uploads.preview_upload(upload.name, data, location=cache.location(), month=month, kind=kind,
                                     allow_period=allow_period, saved=saved_mappings, actor=me,
                                     choose=lambda offer: chosen_mapping(index, upload.name, offer))
    offer = preview.offer
    if preview.pending is None:
        preview_rows.append({"File": upload.name, "Kind": None, "Source": None, "Months": None, "Rows": None,
                             "Matched to roster": None, "Unmapped": None,
                             "Status": "Map its columns" if preview.invites_mapping else "Refused"})
        if preview.invites_mapping:
            st.info(f"{layout.plain(upload.name)}: no built-in format reads this file, but it looks like an HR "
                    "roster. Map its columns below and save the mapping; the file then previews as a roster.",
                    icon=":material/table_edit:")
        else:
            st.error(preview.refusal, icon=":material/block:")
        if offer is not None and offer.roster_like:
            mapping_form(index, upload.name, data, offer, preview.mapping)
        continue
    if offer is not None and offer.roster_like:
        mapping_form(index, upload.name, data, offer, preview.mapping)
    previews.append(preview)
    pending, coverage = preview.pending, preview.coverage
    preview_rows.append({"File": pending.file_name, "Kind": pending.kind, "Source": pending.source,
                         "Months": ", ".join(pending.month_labels()), "Rows": pending.row_count,
                         "Matched to roster": coverage["matched"], "Unmapped": coverage["unmapped"],
                         "Status": "Ready"})
    for note in preview.notes:
        st.warning(f"{pending.file_name}: {note}", icon=":material/info:")
    if preview.linked_note:
        st.info(f"{pending.file_name}: {preview.linked_note}", icon=":material/link:")
    if preview.unmatched_note:
        st.warning(f"{pending.file_name}: {preview.unmatched_note}", icon=":material/person_off:")
    # A rename the roster suggests is offered, never applied: only the button records it (docs/formats.md#departments).
    for suggestion in preview.renames:
        st.info(f"{pending.file_name}: {layout.plain(suggestion.sentence)}", icon=":material/drive_file_rename_outline:")
        if st.button(f"Record the rename {layout.plain(suggestion.from_department)} → "
                     f"{layout.plain(suggestion.to_department)}",
                     key=f"rename_{index}_{suggestion.month}_{suggestion.from_department}",
                     icon=":material/drive_file_rename_outline:"):
            rename = departments.Rename(suggestion.month, suggestion.from_department, suggestion.to_department)
            try:
                with turns.aside():
                    recorded = departments.record_renames(cache.location(), [rename], actor=me)
            except (imports.ImportRefused, warehouse.WarehouseBusy) as refused:
                st.session_state["import_errors"] = [f"The rename was not recorded. {refused}"]
            else:
                st.session_state["import_messages"] = [recorded.summary()]
            st.rerun()

if preview_rows:
    st.header("Preview")
    layout.dataframe(pd.DataFrame(preview_rows))
    if previews:
        label = f"Import {len(previews)} file{'s' if len(previews) != 1 else ''}"
        if st.button(label, type="primary", icon=":material/upload:"):
            messages, errors = [], []
            try:
                with turns.aside(), warehouse.opened(cache.location()) as conn:  # viewers go on meanwhile
                    for preview in previews:
                        try:
                            messages.append(uploads.commit(conn, preview.pending, actor=me).summary())
                        except (imports.ImportRefused, warehouse.WarehouseBusy, access.PermissionDenied) as refused:
                            errors.append(f"{preview.file_name}: {refused}")
                landed = True
            except warehouse.WarehouseBusy as busy:  # nothing of this batch was stored: keep the files chosen
                errors.append(f"{busy} Your files are still chosen: import them again in a minute.")
                landed = False
            # Shown after the rerun, so every file is accounted for: imported, refused, or still waiting.
            st.session_state["import_messages"] = messages
            st.session_state["import_errors"] = errors
            if landed:
                st.session_state["uploader_generation"] = st.session_state.get("uploader_generation", 0) + 1
            st.rerun()

# --- Monthly digest: offered once the latest month is complete --------------------------------------------------------
digest_offer.offer(me)

# --- Initiatives and targets (docs/metrics.md#steering): recorded as uploads, so the ledger lists them ----------
st.header("Initiatives and targets")
st.write("Record what the organisation started, so every trend marks it and the Initiatives page measures its "
         "effect. Or upload an initiatives.csv or targets.csv (templates below).")
months_ahead = [metrics.shift_month(dt.date.today(), i) for i in range(25)]
month_options = sorted({dt.date.fromisoformat(m + "-01") for m in recent_months} | set(months_ahead), reverse=True)
known_departments = list(filters.frame().options.departments) if filters.frame() and filters.frame().months else []
with st.expander("Record an initiative", icon=":material/flag:"):
    with st.form("initiative_form", clear_on_submit=True, border=False):
        name = st.text_input("Name", max_chars=80, placeholder="Champion pilot")
        start_col, end_col = st.columns(2)
        start = start_col.selectbox("Start", month_options, index=month_options.index(max(
            m for m in month_options if m <= dt.date.today())), format_func=lambda m: m.strftime("%B %Y"))
        end = end_col.selectbox("End", [None, *month_options], format_func=lambda m: "Still running" if m is None
                                else m.strftime("%B %Y"))
        covered = st.multiselect("Departments it covers", known_departments,
                                 placeholder="None chosen: the whole organisation")
        note = st.text_input("Note", max_chars=200, placeholder="One line on what it is")
        if st.form_submit_button("Record the initiative", icon=":material/flag:"):
            try:
                if not name.strip():
                    raise imports.ImportRefused("Give the initiative a name.")
                with turns.aside():
                    recorded = initiatives.record(cache.location(), initiatives.Initiative(
                        name.strip(), start, end, tuple(covered), note.strip()), actor=me)
            except (imports.ImportRefused, warehouse.WarehouseBusy) as refused:
                st.session_state["import_errors"] = [f"The initiative was not recorded. {refused}"]
            else:
                st.session_state["import_messages"] = [recorded.summary()]
            st.rerun()
if me.may("target"):
    with st.expander("Set a target", icon=":material/target:"):
        with st.form("target_form", clear_on_submit=True, border=False):
            metric_col, value_col, by_col = st.columns(3)
            metric = metric_col.selectbox("Metric", ["adoption", "contribution"], format_func=str.capitalize)
            value = value_col.number_input("Target (%)", min_value=1, max_value=100, value=60, step=1)
            by = by_col.selectbox("By", months_ahead, index=min(6, len(months_ahead) - 1),
                                  format_func=lambda m: m.strftime("%B %Y"))
            where = st.selectbox("For", [None, *known_departments],
                                 format_func=lambda d: "The whole organisation" if d is None else d)
            if st.form_submit_button("Set the target", icon=":material/target:"):
                try:
                    with turns.aside():
                        recorded = targets.record(cache.location(), targets.Target(metric, value / 100, by, where),
                                                  actor=me)
                except (imports.ImportRefused, warehouse.WarehouseBusy) as refused:
                    st.session_state["import_errors"] = [f"The target was not set. {refused}"]
                else:
                    st.session_state["import_messages"] = [recorded.summary()]
                st.rerun()

# --- Ledger -------------------------------------------------------------------------------------------------------
st.header("Upload ledger")
ledger = cache.read(uploads.ledger)
if not ledger:
    st.info("No uploads yet. Start with the HR roster, then an activity export.")
else:
    table = pd.DataFrame(ledger)
    covered = table["matched"].astype("Float64") / (table["matched"].astype("Float64")
                                                     + table["unmapped"].astype("Float64"))
    table.insert(table.columns.get_loc("unmapped") + 1, "join_coverage",
                 [None if pd.isna(v) else f"{v * 100:.0f}%" for v in covered])
    table = table.rename(columns={
        "upload_id": "Upload", "kind": "Kind", "source": "Source", "file_name": "File", "months": "Months",
        "row_count": "Rows", "matched": "Matched to roster", "unmapped": "Unmapped",
        "join_coverage": "Join coverage", "uploaded_by": "By",
        "uploaded_at": "When (UTC)", "status": "Status", "notes": "Notes", "sha256": "SHA-256"})
    layout.dataframe(table.drop(columns=["SHA-256"]))
    st.download_button("Download the ledger (CSV)", formats.safe_csv(table), "upload-ledger.csv", "text/csv",
                       icon=":material/download:")
    with st.expander("Audit trail: who uploaded, replaced, undid, restored or answered what, and when"):
        trail = pd.DataFrame(cache.read(uploads.events)).rename(columns={
            "event_id": "Event", "upload_id": "Upload", "action": "Action", "who": "Who",
            "happened_at": "When (UTC)", "detail": "Detail"})
        layout.dataframe(trail)
        st.download_button("Download the audit trail (CSV)", formats.safe_csv(trail), "audit-trail.csv", "text/csv",
                           icon=":material/download:", key="download_audit")
    undoable = [row for row in ledger if row["status"] != "undone"]
    if undoable and me.may("undo"):
        with st.expander("Undo an upload"):
            choice = st.selectbox(
                "Upload to take back out", [row["upload_id"] for row in undoable],
                format_func=lambda i: next(f"#{r['upload_id']} {r['file_name']} ({r['kind']}, {r['months']})"
                                           for r in undoable if r["upload_id"] == i))
            st.caption("Where it had replaced an earlier upload of the same month, that upload comes back.")
            if st.button("Undo this upload", icon=":material/undo:"):
                try:
                    with turns.aside(), warehouse.opened(cache.location()) as conn:
                        restored = uploads.undo(conn, choice, actor=me)
                except (warehouse.WarehouseBusy, imports.ImportRefused) as busy:
                    st.session_state["import_errors"] = [f"Upload #{choice} was not undone. {busy}"]
                else:
                    message = f"Upload #{choice} undone."
                    if restored:
                        message += " Restored: " + ", ".join(f"#{r}" for r in restored) + "."
                    st.session_state["import_messages"] = [message]
                st.rerun()

# --- Data protection: retention in force, and erasure for admins (docs/metrics.md#erasure) --------------------------
st.header("Data protection")
try:
    kept_months = retention.setting(signin.secrets_section("retention"), os.environ)
except ValueError as wrong:
    kept_months = None
    st.error(str(wrong), icon=":material/block:")
oldest = cache.read(retention.oldest_person_month)
window = (f"{kept_months} months before the latest month held" if kept_months
          else "as long as the warehouse holds them (no limit set)")
held = f"the oldest month held per person is {oldest:%Y-%m}" if oldest else "no person-level rows are held yet"
st.write(f"Retention: person-level rows are kept for {window}; {held}. Rollups keep every month's figures. Set "
         "`DASHBOARD_RETENTION_MONTHS` or `[retention] person_months`, and run `python -m queries maintain` nightly "
         "(docs/deploy.md#retention).")
if me.may("erase"):
    with st.expander("Erase people on request (GDPR Art. 17)", icon=":material/person_remove:"):
        st.caption("Removes every row of these people in every table and their bytes from storage, and keeps them "
                   "out of every later import and restore. Rollups are anonymous counts and stay as they were. The "
                   "audit trail records who erased how many people, never whom.")
        generation = st.session_state.get("erase_generation", 0)
        typed = st.text_area("E-mails or UPNs, one a line", key=f"erase_emails_{generation}")
        sure = st.checkbox("I understand this cannot be undone", key=f"erase_sure_{generation}")
        if st.button("Erase", type="primary", icon=":material/delete_forever:", disabled=not (typed.strip() and sure)):
            try:
                with turns.aside():
                    done = storage.erase_people(typed.split(), location=cache.location(), actor=me)
            except (warehouse.WarehouseBusy, erasure.UnknownPerson) as refused:
                st.session_state["import_errors"] = [str(refused)]
            else:
                st.session_state["import_messages"] = ["  \n".join(done.lines())]
                st.session_state["erase_generation"] = generation + 1  # the e-mails typed are not kept
            st.rerun()

# --- Templates ----------------------------------------------------------------------------------------------------
st.header("Canonical templates")
st.write("For data no vendor exports, fill in one of these templates (CSV or XLSX, first sheet).")
columns = st.columns(4)
for index, template_kind in enumerate(templates.TEMPLATES):
    with columns[index % 4]:
        st.download_button(f"{template_kind}.csv", templates.template_csv(template_kind), f"{template_kind}.csv",
                           "text/csv", key=f"template_{template_kind}", icon=":material/download:",
                           help=templates.template_help(template_kind))
