"""Email templates and the SMTP sender, delivered to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from jinja2 import UndefinedError

from glue.mailer import Mailer, MailError, SmtpSettings, parse_smtp_url, render_email

# aiosmtpd warns (at each connection, in its own thread) when AUTH is allowed without TLS, as the plain-text tests do
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

FROM = "Training Team <no-reply@training.example.org>"

CONTEXTS = {
    "step_started": {
        "student_name": "Zoë Ñúñez",
        "program_name": "Cosmetology Foundations",
        "partner_name": "HSI (Health & Safety Institute)",
        "step_number": 2,
        "step_count": 5,
        "launch_url": "https://hsi.example.com/launch?token=abc&lang=en",
        "progress_url": "https://training.example.org/progress",
    },
    "program_completed": {
        "student_name": "Zoë Ñúñez",
        "program_name": "Cosmetology Foundations",
        "certificate_url": "https://training.example.org/certificates/42.pdf",
        "verification_url": "https://training.example.org/verify/7K3Q",
        "partners": ["HSI (Health & Safety Institute)", "Certiport", "Milady"],
    },
    "stuck_nudge": {
        "student_name": "Zoë Ñúñez",
        "program_name": "Cosmetology Foundations",
        "partner_name": "JRI",
        "days": 9,
        "launch_url": "https://jri.example.com/course/1",
        "progress_url": "https://training.example.org/progress",
    },
    "admin_alert": {
        "admin_name": "Ana",
        "kind": "partner_enrollment_failed",
        "message": "JRI answered 503 three times.",
        "student_name": "Zoë Ñúñez",
        "student_email": "zoe@students.example.org",
        "program_name": "Cosmetology Foundations",
        "partner_name": "JRI",
        "dashboard_url": "https://training.example.org/admin/students/42",
    },
}
# a value from each context that must appear in both bodies
MUST_SHOW = {
    "step_started": ["step 2 of 5", "https://training.example.org/progress"],
    "program_completed": ["Certiport", "https://training.example.org/certificates/42.pdf"],
    "stuck_nudge": ["9 days", "https://jri.example.com/course/1"],
    "admin_alert": ["JRI answered 503 three times.", "zoe@students.example.org"],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:.1f} s")
        time.sleep(0.01)


class Collector:
    """aiosmtpd handler keeping every envelope it is given."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.over_starttls: list[bool] = []  # per envelope: was the session upgraded with STARTTLS

    async def handle_DATA(self, server, session, envelope) -> str:
        self.over_starttls.append(session.ssl is not None)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self, count: int = 1) -> list[EmailMessage]:
        wait_for(lambda: len(self.envelopes) >= count)
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


class SmtpServer:
    def __init__(self, controller: Controller, collector: Collector, port: int):
        self.controller, self.collector, self.port = controller, collector, port


def start_server(host: str = "127.0.0.1", **kwargs) -> SmtpServer:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname=host, port=port, **kwargs)
    controller.start()
    return SmtpServer(controller, collector, port)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = start_server()
    yield server
    server.controller.stop()


@pytest.fixture
def mailer(smtp_server: SmtpServer) -> Mailer:
    return Mailer(f"smtp://127.0.0.1:{smtp_server.port}", FROM, timeout=5)


# --- templates -------------------------------------------------------------------------------


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_each_template_renders_and_arrives(template: str, mailer: Mailer, smtp_server: SmtpServer):
    subject, text, html = render_email(template, CONTEXTS[template])
    assert subject and "\n" not in subject
    assert not text.startswith("Subject:") and "Subject:" not in text
    assert "Zoë Ñúñez" in subject + text
    assert html.lstrip().startswith("<!DOCTYPE html>") and '<html lang="en">' in html and "<h1" in html
    for value in MUST_SHOW[template]:
        assert value in text
        assert value in html
    for url in (v for v in CONTEXTS[template].values() if isinstance(v, str) and v.startswith("https://")):
        assert f'href="{url.replace("&", "&amp;")}"' in html, url  # every link is a real link
    for asset in ("<img", "<link", "<script", "src=", "url("):  # self-contained: nothing fetched on open
        assert asset not in html.lower()

    message_id = f"<{template}-42@training.example.org>"
    returned = mailer.send("Zoë Ñúñez <zoe@students.example.org>", subject, text, html, message_id=message_id)
    assert returned == message_id

    (envelope,) = smtp_server.collector.envelopes
    assert envelope.mail_from == "no-reply@training.example.org"
    assert envelope.rcpt_tos == ["zoe@students.example.org"]
    (msg,) = smtp_server.collector.messages()
    assert msg["Subject"] == subject
    assert msg["To"] == "Zoë Ñúñez <zoe@students.example.org>"
    assert msg["From"] == FROM
    assert msg["Message-ID"] == message_id
    assert msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]  # text first
    assert parts[0].get_content().replace("\r\n", "\n").rstrip() == text.rstrip()
    assert parts[1].get_content().replace("\r\n", "\n").rstrip() == html.rstrip()


def test_step_started_without_launch_url_tells_the_student_the_link_will_come():
    context = dict(CONTEXTS["step_started"], launch_url=None)
    _, text, html = render_email("step_started", context)
    for body in (text, html):
        assert "None" not in body
        assert "will email you a link" in body
        assert "training team will send it" in body
    assert "hsi.example.com" not in text + html
    _, text_with_link, _ = render_email("step_started", CONTEXTS["step_started"])
    assert "will email you a link" not in text_with_link


def test_step_started_without_launch_url_does_not_say_the_training_is_ready():
    """A partner enrolled by hand (JRI) sends its own instructions: the email said "your training is
    ready" in the subject and "you don't need to do anything yet" in the body."""
    context = dict(CONTEXTS["step_started"], partner_name="JRI", launch_url=None)
    subject, text, html = render_email("step_started", context)
    assert subject == "Step 2 of 5: you're enrolled at JRI"
    assert "ready" not in subject + text + html
    assert "Until it arrives there is nothing for you to do." in text.replace("\n", " ")
    subject, _, _ = render_email("step_started", CONTEXTS["step_started"])
    assert subject.endswith("training is ready")


def test_stuck_nudge_without_launch_url_and_one_day():
    _, text, html = render_email("stuck_nudge", dict(CONTEXTS["stuck_nudge"], launch_url=None, days=1))
    assert "1 day ago" in text and "1 day ago" in html
    assert "None" not in text + html


def test_admin_alert_names_the_kind():
    subject, text, html = render_email("admin_alert", dict(CONTEXTS["admin_alert"], kind="manual_enrollment_needed"))
    assert "Manual enrollment needed" in subject and "Manual enrollment needed" in html
    assert "manual_enrollment_needed" in text
    subject, _, _ = render_email("admin_alert", dict(CONTEXTS["admin_alert"], kind="sla_breach"))
    assert "SLA" in subject


def test_html_is_escaped_text_is_not():
    evil = "<script>alert(1)</script>"
    subject, text, html = render_email("step_started", dict(CONTEXTS["step_started"], student_name=evil))
    assert evil in text
    assert evil not in html and "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    _, text, html = render_email("admin_alert", dict(CONTEXTS["admin_alert"], student_name=evil, message=evil))
    assert subject and evil in text and "<script" not in html


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_a_missing_context_key_raises(template: str):
    for key in CONTEXTS[template]:
        context = {k: v for k, v in CONTEXTS[template].items() if k != key}
        with pytest.raises(UndefinedError, match=key):
            render_email(template, context)


def test_unknown_or_unsafe_template_name():
    with pytest.raises(Exception, match="no_such_template"):
        render_email("no_such_template", {})
    with pytest.raises(ValueError):
        render_email("../mailer", {})


# --- sending ---------------------------------------------------------------------------------


def test_generated_message_id_and_retry_with_the_same_id(mailer: Mailer, smtp_server: SmtpServer):
    generated = mailer.send("zoe@students.example.org", "Hello", "text body", "<p>html body</p>")
    assert generated.startswith("<") and generated.endswith("@training.example.org>")
    first = mailer.send("zoe@students.example.org", "Hello", "text", "<p>x</p>", message_id="event-17")
    again = mailer.send("zoe@students.example.org", "Hello", "text", "<p>x</p>", message_id="event-17")
    assert first == again == "<event-17@training.example.org>"
    messages = smtp_server.collector.messages(3)
    assert [m["Message-ID"] for m in messages] == [generated, first, first]


def test_extra_headers_and_reserved_ones(mailer: Mailer, smtp_server: SmtpServer):
    mailer.send(
        "zoe@students.example.org",
        "Hi",
        "t",
        "<p>h</p>",
        headers={"X-Event-Id": "evt_123", "Reply-To": "help@training.example.org"},
    )
    (msg,) = smtp_server.collector.messages()
    assert msg["X-Event-Id"] == "evt_123"
    assert msg["Reply-To"] == "help@training.example.org"
    with pytest.raises(ValueError, match="Message-ID"):
        mailer.send("zoe@students.example.org", "Hi", "t", "<p>h</p>", headers={"Message-ID": "<x@y>"})


def test_malformed_recipient_is_a_permanent_mail_error(mailer: Mailer, smtp_server: SmtpServer):
    for bad in ("not-an-address", "zoe@example.org\r\nBcc: victim@example.org"):
        with pytest.raises(MailError) as info:
            mailer.send(bad, "Hi", "t", "<p>h</p>")
        assert info.value.permanent
    assert smtp_server.collector.envelopes == []


def test_refused_recipient_is_a_permanent_mail_error():
    class Refusing(Collector):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            return "550 5.1.1 No such user"

    collector = Refusing()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(MailError, match="550") as info:
            Mailer(f"smtp://127.0.0.1:{port}", FROM).send("nobody@example.org", "Hi", "t", "<p>h</p>")
        assert info.value.permanent and info.value.smtp_code == 550
    finally:
        controller.stop()


def test_no_server_raises_mail_error_quickly():
    port = free_port()  # nothing listens there
    mailer = Mailer(f"smtp://user:s3cret-pw@127.0.0.1:{port}", FROM, timeout=2)
    started = time.monotonic()
    with pytest.raises(MailError) as info:
        mailer.send("zoe@students.example.org", "Hi", "t", "<p>h</p>")
    assert time.monotonic() - started < 3
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "s3cret-pw" not in str(info.value) and "s3cret-pw" not in repr(mailer)
    assert not info.value.permanent


def test_silent_server_times_out_as_mail_error():
    with socket.socket() as listener:  # accepts connections but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(MailError, match="timed out"):
            Mailer(f"smtp://127.0.0.1:{port}", FROM, timeout=0.5).send("a@example.org", "Hi", "t", "<p>h</p>")
        assert time.monotonic() - started < 3


# --- authentication and TLS ---------------------------------------------------------------------


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"mailer", b"p@ss:w/rd")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def auth_server() -> Iterator[SmtpServer]:
    server = start_server(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    yield server
    server.controller.stop()


def test_login_with_percent_encoded_credentials(auth_server: SmtpServer):
    url = f"smtp://mailer:p%40ss%3Aw%2Frd@127.0.0.1:{auth_server.port}"
    Mailer(url, FROM).send("zoe@students.example.org", "Hi", "t", "<p>h</p>", message_id="<auth-1@x.example>")
    (msg,) = auth_server.collector.messages()
    assert msg["Message-ID"] == "<auth-1@x.example>"


def test_wrong_password_is_a_mail_error_without_the_password(auth_server: SmtpServer):
    url = f"smtp://mailer:Wrong-Secret-99@127.0.0.1:{auth_server.port}"
    with pytest.raises(MailError, match="authentication failed") as info:
        Mailer(url, FROM).send("zoe@students.example.org", "Hi", "t", "<p>h</p>")
    assert "Wrong-Secret-99" not in str(info.value)
    assert info.value.smtp_code == 535
    assert auth_server.collector.envelopes == []


def test_server_requiring_auth_refuses_an_anonymous_mailer(auth_server: SmtpServer):
    with pytest.raises(MailError, match="530"):
        Mailer(f"smtp://127.0.0.1:{auth_server.port}", FROM).send("a@example.org", "Hi", "t", "<p>h</p>")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[Path, Path]:
    assert shutil.which("openssl"), "openssl is missing: run scripts/bootstrap"
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def _contexts(tls_files: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    cert, key = tls_files
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def test_smtps_implicit_tls(tls_files):
    server_ctx, client_ctx = _contexts(tls_files)
    server = start_server(ssl_context=server_ctx)
    try:
        mailer = Mailer(f"smtps://127.0.0.1:{server.port}", FROM, ssl_context=client_ctx)
        mailer.send("zoe@students.example.org", "Over TLS", "t", "<p>h</p>")
        (msg,) = server.collector.messages()
        assert msg["Subject"] == "Over TLS"
        # the default context does not trust the self-signed certificate: a MailError, not a send
        with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            Mailer(f"smtps://127.0.0.1:{server.port}", FROM).send("a@example.org", "x", "t", "<p>h</p>")
        assert len(server.collector.envelopes) == 1
    finally:
        server.controller.stop()


def test_starttls_with_auth(tls_files):
    server_ctx, client_ctx = _contexts(tls_files)
    server = start_server(
        tls_context=server_ctx, require_starttls=True, authenticator=authenticator, auth_required=True
    )
    try:
        url = f"smtp://mailer:p%40ss%3Aw%2Frd@127.0.0.1:{server.port}?starttls=1"
        Mailer(url, FROM, ssl_context=client_ctx).send("zoe@students.example.org", "STARTTLS", "t", "<p>h</p>")
        (msg,) = server.collector.messages()
        assert msg["Subject"] == "STARTTLS"
        with pytest.raises(MailError):  # without starttls=1 the server refuses to go on in plain text
            Mailer(f"smtp://127.0.0.1:{server.port}", FROM).send("a@example.org", "x", "t", "<p>h</p>")
    finally:
        server.controller.stop()


def test_starttls_when_the_server_offers_it(tls_files):
    """No starttls=1 in the URL: the server offers STARTTLS, so the mailer upgrades anyway."""
    server_ctx, client_ctx = _contexts(tls_files)
    server = start_server(tls_context=server_ctx)
    try:
        Mailer(f"smtp://127.0.0.1:{server.port}", FROM, ssl_context=client_ctx).send("a@example.org", "x", "t", "")
        server.collector.messages()
        assert server.collector.over_starttls == [True]
        # an offered STARTTLS whose certificate does not verify is an error, never a fallback to plain text
        with pytest.raises(MailError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            Mailer(f"smtp://127.0.0.1:{server.port}", FROM).send("a@example.org", "x", "t", "")
        assert len(server.collector.envelopes) == 1
    finally:
        server.controller.stop()


def test_starttls_offered_then_login_without_starttls_in_the_url(tls_files):
    server_ctx, client_ctx = _contexts(tls_files)
    server = start_server(tls_context=server_ctx, authenticator=authenticator, auth_required=True)
    try:  # aiosmtpd refuses AUTH before TLS (auth_require_tls defaults to True)
        url = f"smtp://mailer:p%40ss%3Aw%2Frd@127.0.0.1:{server.port}"
        Mailer(url, FROM, ssl_context=client_ctx).send("a@example.org", "x", "t", "")
        server.collector.messages()
        assert server.collector.over_starttls == [True]
    finally:
        server.controller.stop()


def _non_loopback_address() -> str:
    """An IPv4 address of this machine that is not a loopback address (where its route goes)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # UDP: no packet is sent, the kernel only picks a source
        address = probe.getsockname()[0]
    assert not address.startswith("127."), "this machine needs a non-loopback IPv4 address for this test"
    return address


class ObservingAuth:
    """An aiosmtpd authenticator that records every credential it is shown."""

    def __init__(self) -> None:
        self.seen: list = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.seen.append(auth_data)
        return authenticator(server, session, envelope, mechanism, auth_data)


def test_no_password_in_plain_text_to_another_host():
    """A server on another address of this machine, offering AUTH but not STARTTLS: the mailer
    refuses before AUTH, and the server never sees the password."""
    address = _non_loopback_address()
    observed = ObservingAuth()
    server = start_server(host=address, authenticator=observed, auth_required=True, auth_require_tls=False)
    try:
        url = f"smtp://mailer:p%40ss%3Aw%2Frd@{address}:{server.port}"
        with pytest.raises(MailError, match="refusing to send the SMTP password in plain text") as info:
            Mailer(url, FROM, timeout=5).send("a@example.org", "x", "t", "")
        assert "p@ss" not in str(info.value)
        assert observed.seen == [] and server.collector.envelopes == []
        # without credentials, plain text to another host still delivers (nothing secret is sent)
        anonymous = start_server(host=address)
        try:
            Mailer(f"smtp://{address}:{anonymous.port}", FROM, timeout=5).send("a@example.org", "x", "t", "")
            assert len(anonymous.collector.messages()) == 1
        finally:
            anonymous.controller.stop()
    finally:
        server.controller.stop()


def test_login_to_another_host_over_starttls(tmp_path):
    address = _non_loopback_address()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={address}"]
        + ["-addext", f"subjectAltName=IP:{address}"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    server_ctx, client_ctx = _contexts((cert, key))
    observed = ObservingAuth()
    server = start_server(host=address, tls_context=server_ctx, authenticator=observed, auth_required=True)
    try:
        url = f"smtp://mailer:p%40ss%3Aw%2Frd@{address}:{server.port}"
        Mailer(url, FROM, ssl_context=client_ctx, timeout=5).send("a@example.org", "x", "t", "")
        server.collector.messages()
        assert server.collector.over_starttls == [True] and len(observed.seen) == 1
    finally:
        server.controller.stop()


def test_is_local():
    from glue.mailer import _is_local

    for host in ("localhost", "LOCALHOST.", "mail.localhost", "127.0.0.1", "127.8.9.10", "::1", "[::1]"):
        assert _is_local(host), host
    for host in ("192.0.2.2", "mail.example.org", "localhost.example.org", "10.0.0.1", "::ffff:8.8.8.8"):
        assert not _is_local(host), host


# --- configuration ----------------------------------------------------------------------------


def test_from_config_disabled_when_smtp_url_is_empty():
    assert Mailer.from_config({"SMTP_URL": "", "MAIL_FROM": FROM}) is None
    assert Mailer.from_config({"SMTP_URL": "   ", "MAIL_FROM": FROM}) is None
    assert Mailer.from_config({"SMTP_URL": None, "MAIL_FROM": FROM}) is None
    assert Mailer.from_config({}) is None


def test_from_config_builds_a_mailer():
    mailer = Mailer.from_config({"SMTP_URL": "smtp://mail.example.org:2525", "MAIL_FROM": FROM}, timeout=3)
    assert isinstance(mailer, Mailer)
    assert mailer.settings == SmtpSettings(host="mail.example.org", port=2525)
    assert mailer.mail_from == FROM and mailer.timeout == 3

    class Config:  # attribute style, like glue.config.Config
        SMTP_URL = "smtps://mail.example.org"
        MAIL_FROM = FROM

    assert Mailer.from_config(Config()).settings.implicit_tls
    with pytest.raises(ValueError, match="MAIL_FROM"):
        Mailer.from_config({"SMTP_URL": "smtp://mail.example.org", "MAIL_FROM": ""})


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.example.org", SmtpSettings("mail.example.org", 25)),
        ("smtp://mail.example.org:2525", SmtpSettings("mail.example.org", 2525)),
        ("smtps://mail.example.org", SmtpSettings("mail.example.org", 465, implicit_tls=True)),
        (
            "smtp://apikey:s%40cret%2F1@smtp.example.net:587?starttls=1",
            SmtpSettings("smtp.example.net", 587, "apikey", "s@cret/1", starttls=True),
        ),
        ("SMTPS://u:p@[::1]:4650", SmtpSettings("::1", 4650, "u", "p", implicit_tls=True)),
        ("smtp://h:25?starttls=0", SmtpSettings("h", 25)),
    ],
)
def test_parse_smtp_url(url: str, expected: SmtpSettings):
    parsed = parse_smtp_url(url)
    assert parsed == expected
    assert parsed.password == expected.password  # compare=True but repr=False: check explicitly


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://mail.example.org", "smtp://"),
        ("mail.example.org:25", "smtp://"),
        ("smtp://:25", "no host"),
        ("smtp://host:port", "port"),
        ("smtps://host?starttls=1", "smtps"),
        ("smtp://host?starttls=maybe", "starttls"),
        ("smtp://host?tls=1", "unknown"),
    ],
)
def test_parse_smtp_url_rejects(url: str, message: str):
    with pytest.raises(ValueError, match=message):
        parse_smtp_url(url)


def test_password_never_shown():
    url = "smtp://user:Hunter2-Secret@mail.example.org:587?starttls=1"
    assert "Hunter2-Secret" not in repr(parse_smtp_url(url))
    assert "Hunter2-Secret" not in repr(Mailer(url, FROM))
    with pytest.raises(ValueError) as info:
        parse_smtp_url("smtp://user:Hunter2-Secret@mail.example.org:notaport")
    assert "Hunter2-Secret" not in str(info.value)


def test_stuck_nudge_for_a_student_not_yet_enrolled_does_not_blame_her():
    """A JRI step waiting for our team to enroll her by hand (no partner id yet) was nudged with
    "your training started 12 days ago and isn't finished yet… check your spam folder for the link".
    The wait is ours: the email says so and asks nothing of her."""
    context = dict(CONTEXTS["stuck_nudge"], launch_url=None, external_enrollment_id=None, days=12)
    subject, text, html = render_email("stuck_nudge", context)
    assert subject == "Your JRI enrollment is taking longer than expected"
    for body in (text, html):
        flat = " ".join(body.split())
        assert "we still have to enroll you at JRI (it has been" in flat
        assert "That part is ours, not yours" in flat
        assert "isn't finished yet" not in flat and "spam folder" not in flat and "None" not in flat
    enrolled = dict(CONTEXTS["stuck_nudge"], external_enrollment_id="JRI-77")
    subject, text, _ = render_email("stuck_nudge", enrolled)
    assert subject == "A reminder about your JRI training" and "isn't finished yet" in text
