"""Scoped digests, mailed to aiosmtpd on loopback and parsed back: a recipient scoped in [access] or named in
[digest.scopes] gets their departments' digest (its figures, its alerts, the whole-organisation line and the scoped
brief) in a message of its own, which names no recipient of another scope; each distinct scope is composed once; the
ledger holds per recipient and month; --dry-run writes one .eml per scope; the Data page sends the same."""
from __future__ import annotations

import email
import html
import io
import re
from email import policy

import pytest
from pypdf import PdfReader

from conftest import free_port
from queries import access, brief, digest, metrics, stages, views, warehouse
from queries.formats import as_text
from test_digest import (SECRETS_FOR_ROLES, cli, counting_models, data_page, digest_secrets, mail_env, parts,  # noqa: F401
                         sent_events, smtp_server)

MONTH = "2026-10"
CEO, HEAD, CFO = "ceo@example.com", "head@sales.example.com", "cfo@example.com"
# The CEO is an admin (the whole organisation); the head of Sales is scoped by [access]; the CFO is scoped to Finance
# by [access], but [digest.scopes] sends them Sales's digest: an explicit entry wins.
ACCESS = {"admins": [CEO], "scoped": {"*@sales.example.com": ["Sales"], CFO: ["Finance"]}}
SCOPES = {CFO: ["Sales"]}


def secrets_toml(port: int | None) -> str:
    server = f'host = "127.0.0.1"\nport = {port}\n' if port else 'host = "mail.invalid"\n'
    return (f'[access]\nadmins = ["{CEO}"]\n[access.scoped]\n"*@sales.example.com" = ["Sales"]\n"{CFO}" = ["Finance"]\n'
            f'[digest]\n{server}security = "none"\nfrom = "dashboard@example.com"\n'
            f'to = ["{CEO}", "{HEAD}", "{CFO}"]\nurl = "https://dashboard.example.com"\n'
            f'[digest.scopes]\n"{CFO}" = ["Sales"]\n')


def in_folder(tmp_path, port: int | None):
    (tmp_path / ".streamlit").mkdir(exist_ok=True)
    (tmp_path / ".streamlit" / "secrets.toml").write_text(secrets_toml(port))


def sales_overview(location: str) -> tuple[views.Overview, list[str], bytes]:
    """What the Overview shows a Sales-scoped viewer, the other departments' names, and their brief."""
    with warehouse.opened(location) as conn:
        scope = views.scope_for(metrics.months(conn), MONTH, limited_to=("Sales",))
        model = views.overview(conn, scope, stages.load())
        others = [d for d in metrics.filter_options(conn).departments if d != "Sales"]
        pdf = brief.build_brief(conn, MONTH, limited_to=("Sales",))
    return model, others, pdf


def section_text(text: str, title: str) -> str:
    """One section of the text part: from its underlined title to the next."""
    text = text.replace("\r\n", "\n")
    assert f"{title}\n{'-' * len(title)}\n" in text, text
    body = text.split(f"{title}\n{'-' * len(title)}\n", 1)[1]
    return re.split(r"\n[^\n]+\n-+\n", body, maxsplit=1)[0]


def pdf_text(content: bytes) -> str:
    """A PDF's text, without the minute it was made ("… 15:34 UTC by …")."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\d\d:\d\d UTC", "HH:MM UTC", text)


def subject(message) -> str:
    # Python folds a subject longer than a line whole onto the next one; mail clients show it without the space
    return str(message["Subject"]).strip()


def by_recipient(received) -> dict:
    return {rcpt[0]: message for _, rcpt, message in received}


@pytest.mark.slow
def test_each_recipient_gets_the_digest_of_their_scope_once(demo_db, tmp_path, smtp_server):
    port, mailbox = smtp_server()
    in_folder(tmp_path, port)
    done = cli(tmp_path, "--month", MONTH, "--db", demo_db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{CEO}: sent", f"{HEAD}: sent", f"{CFO}: sent"]
    assert len(mailbox.received) == 3 and all(len(r[1]) == 1 for r in mailbox.received)
    received = by_recipient(mailbox.received)

    # The CEO's digest is the whole organisation's, addressed to the CEO alone.
    whole = received[CEO]
    assert [a.addr_spec for a in whole["To"].addresses] == [CEO]
    assert subject(whole).startswith("Social business digest, October 2026: stage")
    whole_text, _, _ = parts(whole)
    assert "Compared with the whole organisation" not in whole_text and "This digest covers" not in whole_text

    # Sales's digest: one message for both Sales recipients, naming neither the CEO nor anyone else.
    model, others, sales_pdf = sales_overview(demo_db)
    assert received[HEAD]["Message-ID"] == received[CFO]["Message-ID"]
    sales = received[HEAD]
    assert [a.addr_spec for a in sales["To"].addresses] == [HEAD, CFO]
    assert CEO not in sales.as_string()
    assert subject(sales).startswith("Social business digest for Sales, October 2026: stage")
    text, html_part, [attachment] = parts(sales)
    for part in (text, html.unescape(html_part)):
        assert "This digest covers Sales" in part
        assert "Compared with the whole organisation" in part
        assert as_text(model.whole_organisation) in part  # "Whole organisation, October 2026: adoption 64% · …"
        assert as_text(model.headline) in part
    # Its figures are the Sales-limited Overview's, tile by tile.
    tiles = section_text(text, "Headline").splitlines()[1]
    assert tiles == " · ".join(f"{t.label} {t.value}" + (f" ({t.delta})" if t.delta else "")
                               for t in (*model.rates, model.headcount))
    moved = section_text(text, "The three biggest moves")
    assert [line.split(":")[0].split(". ", 1)[1] for line in moved.strip().splitlines()] == \
        [m.department for m in model.moved]
    attention = section_text(text, "Needs attention")
    assert [a.message for a in model.needs_attention] == \
        [line.strip()[2:] for line in attention.splitlines() if line.startswith("  - ")]
    for department in others:  # no other department's name where the digest speaks of departments
        assert not re.search(rf"\b{re.escape(department)}\b", moved + attention), department
    # Its brief is the scoped brief: the whole-organisation line in place of the organisation's next actions.
    assert pdf_text(attachment.get_content()) == pdf_text(sales_pdf)
    assert "Compared with the whole organisation" in pdf_text(sales_pdf)

    # The ledger holds per recipient and month: a second run sends nothing; --resend sends each their own again.
    again = cli(tmp_path, "--month", MONTH, "--db", demo_db)
    assert again.returncode == 3, again.stderr
    assert [line.split(":")[1].split("(")[0].strip() for line in again.stdout.splitlines()] == ["already sent"] * 3
    assert len(mailbox.received) == 3 and len(sent_events(demo_db)) == 3
    resent = cli(tmp_path, "--month", MONTH, "--db", demo_db, "--resend")
    assert resent.returncode == 0, resent.stderr
    assert len(mailbox.received) == 6
    latest = by_recipient(mailbox.received[3:])
    assert subject(latest[CEO]) == subject(whole) and subject(latest[CFO]) == subject(sales)
    assert len(sent_events(demo_db)) == 6


def test_each_distinct_scope_is_composed_once_with_its_own_alerts(demo_db, smtp_server, monkeypatch):
    """Four recipients in three scopes: three Overview models, each placing its month and the month before once. In
    September HR's and Communications' adoption fell: a digest limited to HR and Sales says only HR's."""
    calls = counting_models(monkeypatch)
    port, mailbox = smtp_server()
    coo = "coo@example.com"
    settings = digest.settings({"scopes": {**SCOPES, coo: ["HR", "Sales"]}}, mail_env(
        port, DASHBOARD_DIGEST_TO=", ".join([CEO, HEAD, CFO, coo])))
    report = digest.send(demo_db, "2026-09", settings, access.CLI, access_section=ACCESS)
    assert len(report.sent) == 4 and len(mailbox.received) == 4
    # each model places its month; the whole organisation's alerts place the month before too (stage_fell)
    assert calls["overview"] == 3 and sorted(calls["place"]) == ["2026-08", "2026-09", "2026-09", "2026-09"]
    received = by_recipient(mailbox.received)
    assert [a.addr_spec for a in received[coo]["To"].addresses] == [coo]
    assert subject(received[coo]).startswith("Social business digest for HR and Sales, September 2026")
    whole = section_text(parts(received[CEO])[0], "Needs attention")
    assert "Adoption in HR fell" in whole and "Adoption in Communications fell" in whole
    scoped = section_text(parts(received[coo])[0], "Needs attention")
    assert "Adoption in HR fell" in scoped and "Communications" not in scoped


def test_without_access_settings_an_explicit_scope_still_applies(demo_db, smtp_server):
    port, mailbox = smtp_server()
    settings = digest.settings({"scopes": {HEAD: ["Sales"]}}, mail_env(port, DASHBOARD_DIGEST_TO=f"{CEO}, {HEAD}"))
    assert [(a.departments, a.recipients) for a in digest.audiences(settings, None)] == [
        (None, (CEO,)), (("Sales",), (HEAD,))]
    digest.send(demo_db, MONTH, settings, access.CLI)
    received = by_recipient(mailbox.received)
    assert "for Sales" in subject(received[HEAD]) and "for Sales" not in subject(received[CEO])


@pytest.mark.slow
def test_dry_run_writes_one_eml_per_scope(demo_db, tmp_path):
    in_folder(tmp_path, None)
    out = tmp_path / "digest.eml"
    done = cli(tmp_path, "--month", MONTH, "--db", demo_db, "--dry-run", "--out", str(out))
    assert done.returncode == 0, done.stderr
    whole, sales = tmp_path / "digest-whole-organisation.eml", tmp_path / "digest-sales.eml"
    assert done.stdout.splitlines() == [f"{CEO}: dry run (would be sent; written to {whole})",
                                        f"{HEAD}: dry run (would be sent; written to {sales})",
                                        f"{CFO}: dry run (would be sent; written to {sales})"]
    assert done.stderr.strip() == (f"Wrote the October 2026 digest to {whole}, {sales}; nothing was sent or "
                                   "recorded.")
    assert not out.exists()
    message = email.message_from_bytes(sales.read_bytes(), policy=policy.default)
    assert subject(message).startswith("Social business digest for Sales, October 2026")
    assert [a.addr_spec for a in message["To"].addresses] == [HEAD, CFO]
    assert sent_events(demo_db) == []


def test_a_scopes_entry_that_is_not_a_list_of_departments_is_named():
    base = {"from": "d@example.com", "to": "a@example.com", "url": "https://d.example.com"}
    for scopes, message in [({"cfo@example.com": "Finance"}, '"cfo@example.com" must be a list of department names'),
                            ({"cfo@example.com": []}, '"cfo@example.com" must be a list of department names'),
                            ({"cfo@example.com": ["Finance", 3]}, '"cfo@example.com" must be a list'),
                            ({"finance team": ["Finance"]}, '"finance team", which is not an e-mail address'),
                            (["cfo@example.com"], r"\[digest.scopes\] must be a table")]:
        with pytest.raises(digest.DigestError, match=message) as raised:
            digest.settings({**base, "scopes": scopes}, {})
        assert "\n" not in str(raised.value)
    settings = digest.settings({**base, "scopes": {"CFO@Example.com": [" Finance ", "Finance"]}}, {})
    assert settings.scopes == (("cfo@example.com", ("Finance",)),)
    with pytest.raises(digest.DigestError, match=r"which recipients are scoped.*\[access\] scoped"):
        digest.audiences(digest.settings(base, {}), {"scoped": {"a@example.com": "  "}})


def test_the_data_page_sends_each_recipient_their_scope(demo_db, smtp_server):
    port, mailbox = smtp_server()
    secrets = digest_secrets(port)
    secrets["digest"].update(to=[CEO, HEAD], scopes={})
    at = data_page({**SECRETS_FOR_ROLES, "access": {**SECRETS_FOR_ROLES["access"], **ACCESS}, **secrets},
                   CEO)
    at.checkbox(key="digest_confirm").check()
    at.run()
    next(b for b in at.button if b.key == "digest_send").click()
    at.run()
    assert not at.exception, at.exception
    received = by_recipient(mailbox.received)
    assert sorted(received) == sorted([CEO, HEAD])
    assert "for Sales" in subject(received[HEAD]) and "for Sales" not in subject(received[CEO])
    assert CEO not in received[HEAD].as_string()
