"""The monthly e-mail digest, mailed to a real SMTP server (aiosmtpd on loopback, plain and over STARTTLS with a
certificate of the test's own CA) and parsed back: subject, the text and HTML parts, the one-page brief attached, the
recipients, the refusal of a second send, two sends at once mailing each recipient once, --dry-run, failures reported
per recipient, the minimum group size, when a month is complete, and the Data page's offer that an admin confirms."""
from __future__ import annotations

import datetime as dt
import email
import io
import ipaddress
import os
import ssl
import subprocess
import sys
import threading
from email import policy

import pytest
from pypdf import PdfReader

from conftest import ACTIVITY_SEPT, ROOT, ROSTER_SEPT, free_port
from queries import access, digest, uploads, warehouse

if os.environ.get("CI") != "true":  # CI installs requirements-dev.txt: there a missing aiosmtpd fails, never skips
    pytest.importorskip("aiosmtpd", reason="aiosmtpd is not installed (pip install -r requirements-dev.txt)")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

TO = ("ceo@example.com", "cfo@example.com")
USER, PASSWORD = "digest-robot", "s3cret-Pa55"


class Mailbox:
    """What the server received: one (envelope sender, envelope recipients, parsed message) per mail transaction."""

    def __init__(self, refuse: tuple[str, ...] = ()):
        self.received = []
        self.secured = []  # per mail transaction: whether it ran over TLS
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.original_content, policy=policy.default)))
        self.secured.append(session.ssl is not None)
        return "250 Message accepted for delivery"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(),
                                                                                            PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def smtp_server():
    """start(auth=False, refuse=(), tls=None) runs an SMTP server on a free loopback port and returns (port, mailbox).
    With auth it demands a sign-in; aiosmtpd offers AUTH on a plain connection only with auth_require_tls=False.
    With tls (a server SSLContext) it demands STARTTLS before anything else, and offers AUTH only after it."""
    controllers = []

    def start(auth: bool = False, refuse: tuple[str, ...] = (), tls: ssl.SSLContext | None = None):
        mailbox = Mailbox(refuse)
        port = free_port()
        options = {"authenticator": _authenticator, "auth_required": True, "auth_require_tls": tls is not None} \
            if auth else {}
        if tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return port, mailbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mail_server_certificate(tmp_path):
    """A CA made for the test and a certificate it signed for 127.0.0.1: returns (the CA's PEM file, the server's
    SSLContext). Nothing on the machine trusts that CA, so only a client given the CA file can verify the server."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Digest test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
              .issuer_name(ca_name).public_key(server_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                             critical=False)
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    ca_file, chain_file, key_file = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain_file, key_file)
    return ca_file, context


def mail_env(port: int | None, **extra) -> dict:
    """The digest's settings as environment variables, for a server on loopback without TLS."""
    env = {"DASHBOARD_SMTP_SECURITY": "none", "DASHBOARD_DIGEST_FROM": "Dashboard <dashboard@example.com>",
           "DASHBOARD_DIGEST_TO": ", ".join(TO), "DASHBOARD_URL": "https://dashboard.example.com"}
    if port is not None:
        env.update(DASHBOARD_SMTP_HOST="127.0.0.1", DASHBOARD_SMTP_PORT=str(port))
    env.update(extra)
    return env


@pytest.fixture
def mail_settings():
    """mail_settings(port, **variables): the settings `send` takes, as the CLI reads them from the environment."""
    return lambda port, **extra: digest.settings(None, mail_env(port, **extra))


def cli(tmp_path, *args, env: dict | None = None):
    """`python -m queries digest …` run from an empty folder (so no secrets.toml but the test's own is read)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DASHBOARD_SMTP_", "DASHBOARD_DIGEST_"))
             and k != "DASHBOARD_URL"}
    clean.update(HOME=str(tmp_path), PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "queries", "digest", *args], cwd=tmp_path, env=clean,
                          capture_output=True, text=True, timeout=300)


def parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    attachments = list(message.iter_attachments())
    return text, html, attachments


def sent_events(location: str) -> list[dict]:
    with warehouse.opened(location) as conn:
        return [e for e in uploads.events(conn) if e["action"] == "digest sent"]


def claims(location: str) -> list[str]:
    """The claims of runs mailing a digest right now (or left by a run that stopped)."""
    with warehouse.opened(location) as conn:
        return [r[0] for r in conn.execute("SELECT key FROM meta WHERE key LIKE 'digest claim %'").fetchall()]


def leave_claim(location: str, month: str, recipient: str, minutes_ago: float) -> None:
    """A claim as a run that is mailing `recipient` (or one that stopped) left it."""
    key = f"digest claim {month} " + digest.recipient_key(recipient, warehouse.pepper_for(location))
    with warehouse.opened(location) as conn:
        conn.execute("INSERT INTO meta VALUES (?, CAST(epoch(current_timestamp) - ? AS VARCHAR))",
                     [key, minutes_ago * 60])


def counting_models(monkeypatch) -> dict:
    """Count what a send builds: each stage placement (its month) and each Overview model."""
    from queries import metrics, stages, views

    calls = {"place": [], "overview": 0}
    place, overview = stages.place, views.overview

    def placed(month, *args, **kwargs):
        calls["place"].append(f"{metrics.as_month(month):%Y-%m}")
        return place(month, *args, **kwargs)

    def built(*args, **kwargs):
        calls["overview"] += 1
        return overview(*args, **kwargs)

    monkeypatch.setattr(stages, "place", placed)
    monkeypatch.setattr(views, "overview", built)
    return calls


@pytest.mark.slow
def test_the_cli_mails_the_digest_and_refuses_to_send_the_same_month_twice(demo_db, tmp_path, smtp_server):
    port, mailbox = smtp_server()
    done = cli(tmp_path, "--month", "2026-10", "--db", demo_db, env=mail_env(port))
    assert done.returncode == 0, done.stderr
    # Standard output: exactly one line per recipient, for scripts; the summary goes to standard error.
    assert done.stdout.splitlines() == ["ceo@example.com: sent", "cfo@example.com: sent"]
    assert done.stderr.strip() == "Sent the October 2026 digest to 2 recipients."

    # One mail transaction per recipient, so that one refused address cannot stop the others.
    assert sorted(r[1][0] for r in mailbox.received) == sorted(TO)
    assert all(len(r[1]) == 1 and r[0] == "dashboard@example.com" for r in mailbox.received)
    message = mailbox.received[0][2]
    assert message["Subject"] == "Social business digest, October 2026: stage 4 of 6, Formalized"
    assert [a.addr_spec for a in message["To"].addresses] == list(TO)
    assert message.get_content_type() == "multipart/mixed"
    text, html, attachments = parts(message)
    for part in (text, html):
        assert "Stage 4 of 6: Formalized" in part
        assert "To reach stage 5, Strategic" in part
        assert "The three biggest moves" in part
        assert "Communications: adoption 81%, +21 pts since September 2026" in part
        assert "https://dashboard.example.com/?month=2026-10" in part
    assert '<a href="https://dashboard.example.com/?month=2026-10"' in html and "<ol " in html and "<li " in html
    assert "@" not in text.replace("ceo@example.com", "").replace("cfo@example.com", "")  # no employee's address
    [pdf] = attachments
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == "social-business-brief-2026-10.pdf"
    reader = PdfReader(io.BytesIO(pdf.get_content()))
    assert len(reader.pages) == 1 and "October 2026" in reader.pages[0].extract_text()

    # Recorded in the audit trail, one event per recipient, under a peppered key rather than the address.
    events = sent_events(demo_db)
    assert len(events) == 2 and all(e["who"] == "cli" and e["upload_id"] is None for e in events)
    assert all(e["detail"].startswith("2026-10 to recipient ") and "@" not in e["detail"] for e in events)
    with warehouse.opened(demo_db) as conn:  # a send changes no figure: the last data refresh stays the import's
        refreshed = uploads.latest_refresh(conn)
        others = [e["happened_at"] for e in uploads.events(conn) if e["action"] != "digest sent"]
        assert f"{refreshed:%Y-%m-%d %H:%M:%S}" == max(others)

    again = cli(tmp_path, "--month", "2026-10", "--db", demo_db, env=mail_env(port))
    assert again.returncode == 3
    assert [line.split(":")[0] for line in again.stdout.splitlines()] == list(TO)
    assert all("already sent" in line and "--resend" in line for line in again.stdout.splitlines())
    assert "Not sent" in again.stderr and "--resend" in again.stderr
    assert len(mailbox.received) == 2 and len(sent_events(demo_db)) == 2

    # A recipient added to the list gets it; the others are not sent it twice.
    bigger = mail_env(port, DASHBOARD_DIGEST_TO=", ".join(TO + ("coo@example.com",)))
    added = cli(tmp_path, "--month", "2026-10", "--db", demo_db, env=bigger)
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines()[2:] == ["coo@example.com: sent"] and len(added.stdout.splitlines()) == 3
    assert [r[1] for r in mailbox.received[2:]] == [["coo@example.com"]]

    resent = cli(tmp_path, "--month", "2026-10", "--db", demo_db, "--resend", env=mail_env(port))
    assert resent.returncode == 0, resent.stderr
    assert len(mailbox.received) == 5 and len(sent_events(demo_db)) == 5


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only, on purpose
def test_signs_in_when_the_server_demands_it_and_reports_a_refused_sign_in(demo_db, tmp_path, smtp_server,
                                                                           mail_settings):
    port, mailbox = smtp_server(auth=True)
    settings = mail_settings(port, DASHBOARD_SMTP_USER=USER, DASHBOARD_SMTP_PASSWORD=PASSWORD)
    report = digest.send(demo_db, "2026-09", settings, access.CLI)
    assert [d.outcome for d in report.deliveries] == ["sent", "sent"]
    assert sorted(r[1][0] for r in mailbox.received) == sorted(TO)
    assert mailbox.received[0][2]["Subject"].startswith("Social business digest, September 2026")

    # The password comes from the environment (never the command line); a wrong one fails every recipient, says so,
    # exits non-zero and records nothing.
    wrong = cli(tmp_path, "--month", "2026-08", "--db", demo_db,
                env=mail_env(port, DASHBOARD_SMTP_USER=USER, DASHBOARD_SMTP_PASSWORD="wrong"))
    assert wrong.returncode == 1
    lines = wrong.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == list(TO)
    assert all("failed" in line and f"refused the sign-in of {USER}" in line for line in lines)
    assert "2 of 2 recipients did not get the August 2026 digest" in wrong.stderr
    assert "wrong" not in wrong.stdout + wrong.stderr and "Traceback" not in wrong.stderr
    assert not [e for e in sent_events(demo_db) if e["detail"].startswith("2026-08")]
    assert len(mailbox.received) == 2

    # Without credentials, the server that demands them refuses the mail: reported per recipient.
    anonymous = digest.send(demo_db, "2026-08", mail_settings(port), access.CLI)
    assert [d.outcome for d in anonymous.deliveries] == ["failed", "failed"]
    assert all("refused" in d.reason for d in anonymous.deliveries)


@pytest.mark.slow
def test_a_refused_address_or_a_dead_server_is_reported_per_recipient_and_a_rerun_sends_only_the_rest(
        demo_db, tmp_path, smtp_server, mail_settings):
    port, mailbox = smtp_server(refuse=("cfo@example.com",))
    done = cli(tmp_path, "--month", "2026-10", "--db", demo_db, env=mail_env(port))
    assert done.returncode == 1
    first, second = done.stdout.splitlines()
    assert first == "ceo@example.com: sent"
    assert second.startswith("cfo@example.com: failed (the mail server refused this address: 550")
    assert "1 of 2 recipients did not get the October 2026 digest" in done.stderr
    assert [r[1] for r in mailbox.received] == [["ceo@example.com"]]
    assert len(sent_events(demo_db)) == 1
    assert claims(demo_db) == []  # the failed recipient's claim is given up, so a re-run sends to them

    mailbox.refuse = ()
    rerun = cli(tmp_path, "--month", "2026-10", "--db", demo_db, env=mail_env(port))
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.splitlines()[0].startswith("ceo@example.com: already sent")
    assert rerun.stdout.splitlines()[1:] == ["cfo@example.com: sent"]
    assert [r[1] for r in mailbox.received] == [["ceo@example.com"], ["cfo@example.com"]]

    dead = free_port()  # nothing listens there
    report = digest.send(demo_db, "2026-09", mail_settings(dead), access.CLI)
    assert [d.outcome for d in report.deliveries] == ["failed", "failed"]
    assert all(f"cannot reach the mail server 127.0.0.1:{dead}" in d.reason for d in report.deliveries)
    assert len(sent_events(demo_db)) == 2


def test_two_sends_at_once_mail_each_recipient_exactly_once(demo_db, smtp_server, mail_settings, monkeypatch):
    # The schedule and an admin pressing Send at the same moment: both have composed the digest (and, before claims,
    # both had read that nobody was sent it) when they start mailing.
    port, mailbox = smtp_server()
    settings = mail_settings(port)
    both_composed, one_at_a_time = threading.Barrier(2, timeout=120), threading.Lock()
    compose = digest.compose

    def compose_then_wait(*args, **kwargs):
        with one_at_a_time:  # the race under test is claiming and mailing, not building the brief
            composed = compose(*args, **kwargs)
        both_composed.wait()
        return composed

    monkeypatch.setattr(digest, "compose", compose_then_wait)
    reports, errors = [], []

    def run(who: access.Actor) -> None:
        try:
            reports.append(digest.send(demo_db, "2026-10", settings, who))
        except Exception as error:  # noqa: BLE001 - shown by the assertion below
            errors.append(error)

    runs = [threading.Thread(target=run, args=(who,)) for who in (access.CLI, access.Actor("admin", "admin 1"))]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=300)
    assert errors == [] and len(reports) == 2

    assert sorted(r[1][0] for r in mailbox.received) == sorted(TO)  # one message per recipient
    assert len(sent_events(demo_db)) == 2 and claims(demo_db) == []
    for recipient in TO:  # one run sent it; the other left it to that run, or found it already sent
        outcomes = sorted(d.outcome for r in reports for d in r.deliveries if d.recipient == recipient)
        assert outcomes in (["being sent", "sent"], ["already sent", "sent"]), outcomes
    later = [r for r in reports if not r.sent]
    assert later and later[0].refused and later[0].summary().startswith("Not sent")


def test_a_claim_holds_other_runs_back_until_it_expires(demo_db, tmp_path, smtp_server, mail_settings):
    port, mailbox = smtp_server()
    leave_claim(demo_db, "2026-10", "ceo@example.com", minutes_ago=1)  # a run is mailing the CEO right now
    report = digest.send(demo_db, "2026-10", mail_settings(port), access.CLI)
    [ceo, cfo] = report.deliveries
    assert (ceo.outcome, cfo.outcome) == ("being sent", "sent")
    assert "by another run since" in ceo.reason and "it can be sent again from" in ceo.reason
    assert [r[1] for r in mailbox.received] == [["cfo@example.com"]]
    assert len(claims(demo_db)) == 1  # the other run's claim is theirs to give up

    # Everyone had it or is being sent it: nothing to do (exit 3), one line per recipient.
    busy = cli(tmp_path, "--month", "2026-10", "--db", demo_db, env=mail_env(port))
    assert busy.returncode == 3, busy.stderr
    assert [line.split(": ")[1].split(" (")[0] for line in busy.stdout.splitlines()] == ["being sent",
                                                                                        "already sent"]
    assert "another run is sending the October 2026 digest to 1 of the 2 recipients" in busy.stderr

    # A run that stopped midway leaves its claim; once the claim is older than CLAIM_EXPIRY_MINUTES it holds
    # nobody back, and the next run sends to the CEO and gives the stale claim up.
    with warehouse.opened(demo_db) as conn:
        conn.execute("DELETE FROM meta WHERE key LIKE 'digest claim %'")
    leave_claim(demo_db, "2026-10", "ceo@example.com", minutes_ago=digest.CLAIM_EXPIRY_MINUTES + 1)
    assert digest.standing(demo_db, "2026-10", mail_settings(port)).due == ("ceo@example.com",)
    retried = digest.send(demo_db, "2026-10", mail_settings(port), access.CLI)
    assert [d.outcome for d in retried.deliveries] == ["sent", "already sent"]
    assert [r[1] for r in mailbox.received] == [["cfo@example.com"], ["ceo@example.com"]]
    assert claims(demo_db) == [] and len(sent_events(demo_db)) == 2


@pytest.mark.filterwarnings("ignore::ResourceWarning")  # aiosmtpd's side of the refused TLS handshake
def test_starttls_verifies_the_server_against_the_configured_ca_file(demo_db, smtp_server, mail_settings,
                                                                     mail_server_certificate):
    ca_file, server_tls = mail_server_certificate
    port, mailbox = smtp_server(auth=True, tls=server_tls)  # STARTTLS required, AUTH offered only over TLS
    signed_in = {"DASHBOARD_SMTP_SECURITY": "starttls", "DASHBOARD_SMTP_USER": USER,
                 "DASHBOARD_SMTP_PASSWORD": PASSWORD}

    # Verification is never switched off: without the CA file the server's certificate is refused, said per
    # recipient with the setting that fixes it, and nothing is sent or recorded.
    untrusted = digest.send(demo_db, "2026-10", mail_settings(port, **signed_in), access.CLI)
    assert [d.outcome for d in untrusted.deliveries] == ["failed", "failed"]
    assert all("certificate that is not trusted" in d.reason and "DASHBOARD_SMTP_CAFILE" in d.reason
               for d in untrusted.deliveries)
    assert mailbox.received == [] and sent_events(demo_db) == [] and claims(demo_db) == []

    settings = mail_settings(port, DASHBOARD_SMTP_CAFILE=str(ca_file), **signed_in)
    assert settings.cafile == str(ca_file)
    report = digest.send(demo_db, "2026-10", settings, access.CLI)
    assert [d.outcome for d in report.deliveries] == ["sent", "sent"]
    assert sorted(r[1][0] for r in mailbox.received) == sorted(TO) and mailbox.secured == [True, True]
    assert mailbox.received[0][2]["Subject"].startswith("Social business digest, October 2026")


def test_dry_run_writes_the_eml_from_secrets_toml_and_sends_nothing(demo_db, tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[digest]\nhost = "mail.invalid"\nsecurity = "starttls"\nfrom = "dashboard@example.com"\n'
        'to = ["ceo@example.com", "cfo@example.com"]\nurl = "https://dashboard.example.com/social"\n')
    out = tmp_path / "digest.eml"
    done = cli(tmp_path, "--month", "2026-10", "--db", demo_db, "--dry-run", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"ceo@example.com: dry run (would be sent; written to {out})",
                                        f"cfo@example.com: dry run (would be sent; written to {out})"]
    assert done.stderr.strip() == f"Wrote the October 2026 digest to {out}; nothing was sent or recorded."
    message = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("Social business digest, October 2026")
    text, html, [pdf] = parts(message)
    assert "https://dashboard.example.com/social?month=2026-10" in text
    assert len(PdfReader(io.BytesIO(pdf.get_content())).pages) == 1
    assert sent_events(demo_db) == []

    # --out without --dry-run (or the reverse), and a password on the command line, are refused.
    assert cli(tmp_path, "--month", "2026-10", "--db", demo_db, "--out", str(out)).returncode == 1
    assert cli(tmp_path, "--month", "2026-10", "--db", demo_db, "--dry-run").returncode == 1
    assert cli(tmp_path, "--month", "2026-10", "--db", demo_db, "--password", "x").returncode == 2


def test_one_send_places_the_stage_once_and_builds_the_overview_once(demo_db, tmp_path, smtp_server, mail_settings,
                                                                     monkeypatch):
    """The digest and its brief render one Overview model: one stage placement of the month, one Overview, no second
    read. The alerts place the month before too, once, to tell whether the stage fell (docs/metrics.md#alerts)."""
    calls = counting_models(monkeypatch)
    port, mailbox = smtp_server()
    report = digest.send(demo_db, "2026-10", mail_settings(port), access.CLI)
    assert len(report.sent) == len(TO) and len(mailbox.received) == len(TO)
    assert calls == {"place": ["2026-10", "2026-09"], "overview": 1}

    calls.update(place=[], overview=0)
    digest.write_eml(demo_db, "2026-10", mail_settings(port), tmp_path / "digest.eml")
    assert calls == {"place": ["2026-10", "2026-09"], "overview": 1}


def test_settings_come_from_the_environment_first_then_the_digest_section():
    section = {"host": "smtp.example.com", "from": "d@example.com", "to": "a@example.com, A@example.com, b@example.com",
               "url": "https://d.example.com", "user": "robot", "password": "from-secrets"}
    settings = digest.settings(section, {"DASHBOARD_SMTP_SECURITY": "tls"})
    assert (settings.host, settings.port, settings.security) == ("smtp.example.com", 465, "tls")
    assert settings.recipients == ("a@example.com", "b@example.com")  # the same person listed twice gets one
    assert "from-secrets" not in repr(settings)
    assert digest.settings(section, {"DASHBOARD_SMTP_HOST": "other.example.com"}).port == 587  # STARTTLS default
    assert digest.settings(section, {"DASHBOARD_SMTP_HOST": "other.example.com"}).host == "other.example.com"
    for broken, message in [({"to": ""}, "DASHBOARD_DIGEST_TO"), ({"to": "not-an-address"}, "not an e-mail"),
                            ({"url": ""}, "DASHBOARD_URL"), ({"security": "ssl"}, "none, starttls or tls"),
                            ({"port": "smtp"}, "port number"), ({"user": None}, "no user"),
                            ({"from": ""}, "DASHBOARD_DIGEST_FROM"),
                            ({"cafile": "/nonexistent/ca.pem"}, "DASHBOARD_SMTP_CAFILE.*not a file")]:
        with pytest.raises(digest.DigestError, match=message):
            digest.settings({k: v for k, v in {**section, **broken}.items() if v is not None}, {})


def test_a_viewer_or_champion_cannot_send(demo_db, mail_settings):
    settings = mail_settings(free_port())
    for role in ("viewer", "champion"):
        with pytest.raises(access.PermissionDenied):
            digest.send(demo_db, "2026-10", settings, access.Actor(role, f"{role} 0123456789"))


TINY_ROSTER = ("email,department,region,business_unit,level\n"
               "ann@example.com,Sales,EMEA,Commercial,executive\nben@example.com,Sales,EMEA,Commercial,staff\n"
               "cat@example.com,Legal,EMEA,Corporate,staff\n")


def test_a_tiny_organisations_figures_are_withheld(db, load, conn):
    load("roster.csv", TINY_ROSTER, month="2026-09")
    load("activity.csv", ACTIVITY_SEPT)  # two of the three people are active: 67% adoption, about too few people
    composed = digest.compose(conn, "2026-09", "https://dashboard.example.com")
    settings = digest.settings(None, mail_env(None))
    message = email.message_from_bytes(bytes(digest.as_message(composed, settings)), policy=policy.default)
    text, html, [pdf] = parts(message)
    brief_text = PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    for shown in (text, html, brief_text):
        assert "67%" not in shown and "33%" not in shown
    assert "Fewer than 5 people are counted in September 2026, so the digest shows no figures" in text
    assert "Sales" not in text and "Legal" not in text  # no department of fewer than five people
    assert 'class="tile"' not in html and html.count('class="stage"') == 6  # the ladder (organisation-wide), no tiles
    for address in ("ann@", "ben@", "cat@", "zed@"):
        assert address not in text and address not in html


def test_a_month_is_complete_when_it_has_every_kind_the_month_before_had(db, load, conn):
    load("roster.csv", ROSTER_SEPT, month="2026-08")
    load("activity.csv", ACTIVITY_SEPT.replace("2026-09", "2026-08"))
    assert not digest.month_complete(conn, "2026-08")  # the first month: nothing to compare with
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    state = digest.latest_completeness(conn)
    assert (state.month.isoformat(), state.complete) == ("2026-09-01", False)
    assert state.missing == ("activity (slack)", "activity (viva-engage)")
    load("activity.csv", ACTIVITY_SEPT)
    assert digest.month_complete(conn, "2026-09")
    load("checklist.csv", "criterion,answer,note,month\n1d,yes,,2026-09\n")  # answers hold: never expected monthly
    assert digest.month_complete(conn, "2026-09")


def test_a_carried_forward_roster_champion_register_or_training_counts_as_present(db, load, conn):
    # The roster and champion register uploaded once a quarter, training once a year: the months between carry
    # them forward (docs/metrics.md#carry-forward), so only the activity each month has to be in.
    load("roster.csv", ROSTER_SEPT, month="2026-08")
    load("champions.csv", "email,department,role\nben@example.com,Sales,Champion\n", month="2026-08")
    load("training.csv", "date,program,email\n2026-08-20,WOL,ben@example.com\n")
    load("activity.csv", ACTIVITY_SEPT.replace("2026-09", "2026-08"))
    header, *rows = ACTIVITY_SEPT.splitlines(keepends=True)
    load("activity.csv", header + "".join(r for r in rows if ",slack," in r))  # Slack's export first
    state = digest.completeness(conn, "2026-09")
    assert state.missing == ("activity (viva-engage)",)  # carried kinds are not missing; activity never carries
    load("activity.csv", header + "".join(r for r in rows if ",viva-engage," in r))
    assert digest.latest_completeness(conn).complete
    assert digest.completeness(conn, "2026-09").compared_with.isoformat() == "2026-08-01"


# --- The Data page's offer ----------------------------------------------------------------------------------------

# Hosted sign-in, as tests/test_access.py configures it: a champion and an admin.
SECRETS_FOR_ROLES = {
    "auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "id",
             "client_secret": "secret", "server_metadata_url": "https://login.example.com/.well-known/openid-configuration"},
    "access": {"admins": ["boss@example.com"], "champions": ["*@comms.example.com"]},
}


def digest_secrets(port: int) -> dict:
    return {"digest": {"host": "127.0.0.1", "port": port, "security": "none", "from": "dashboard@example.com",
                       "to": list(TO), "url": "https://dashboard.example.com"}}


def data_page(secrets: dict, email_address: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=240)
    at.secrets = secrets
    if email_address:
        at.user = {"is_logged_in": True, "email": email_address}
    at.run()
    at.switch_page("app/pages/data.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_data_page_offers_the_digest_of_a_complete_month_and_an_admin_sends_it(demo_db, smtp_server):
    port, mailbox = smtp_server()
    at = data_page(digest_secrets(port))  # local mode: the person running it is an admin
    assert "Monthly digest" in [h.value for h in at.header]
    assert any("October 2026 is complete" in m.value for m in at.markdown)
    send = next(b for b in at.button if b.key == "digest_send")
    assert send.disabled  # not before the admin ticks the confirmation
    at.checkbox(key="digest_confirm").check()
    at.run()
    next(b for b in at.button if b.key == "digest_send").click()
    at.run()
    assert not at.exception, at.exception
    assert {s.value for s in at.success} == {f"The October 2026 digest was sent to {r}." for r in TO}
    assert sorted(r[1][0] for r in mailbox.received) == sorted(TO)
    events = sent_events(demo_db)
    assert len(events) == 2 and all(e["who"] == "local" for e in events)
    assert not [b for b in at.button if b.key == "digest_send"]  # sent to everyone: no second offer
    assert any("has been sent to everyone on the list" in c.value for c in at.caption)


def test_a_champion_sees_the_offer_but_only_an_admin_confirms(demo_db, smtp_server):
    port, mailbox = smtp_server()
    at = data_page({**SECRETS_FOR_ROLES, **digest_secrets(port)}, "ana@comms.example.com")
    assert any("October 2026 is complete" in m.value for m in at.markdown)
    assert any(c.value == "An admin confirms the send." for c in at.caption)
    assert not [b for b in at.button if b.key == "digest_send"]
    assert mailbox.received == []


def test_the_offer_says_how_to_configure_the_digest_when_it_is_not(demo_db):
    at = data_page({})
    assert any("October 2026 is complete" in i.value and "DASHBOARD_DIGEST_FROM" in i.value for i in at.info)


def test_no_send_button_until_the_mail_server_is_set(demo_db):
    secrets = digest_secrets(free_port())
    del secrets["digest"]["host"]  # sender, list and link set: the digest could be written, but not sent
    at = data_page(secrets)
    assert any("October 2026 is complete" in i.value and "DASHBOARD_SMTP_HOST" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "digest_send"]
    assert not [c for c in at.checkbox if c.key == "digest_confirm"]


def test_no_offer_while_the_latest_month_is_incomplete(db, load, smtp_server):
    port, _ = smtp_server()
    load("roster.csv", ROSTER_SEPT, month="2026-08")
    load("activity.csv", ACTIVITY_SEPT.replace("2026-09", "2026-08"))
    load("roster.csv", ROSTER_SEPT, month="2026-09")
    at = data_page(digest_secrets(port))
    assert "Monthly digest" not in [h.value for h in at.header]
