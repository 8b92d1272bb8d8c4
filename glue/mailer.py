"""Transactional email: Jinja2 templates in glue/templates/email and a small SMTP sender.

    subject, text, html = render_email("step_started", {...})
    mailer = Mailer.from_config(app.config)        # None when SMTP_URL is empty: emails disabled
    if mailer:
        message_id = mailer.send(to, subject, text, html, message_id=f"<step-{event_id}@example.org>")

SMTP_URL forms: `smtp://host:port` (default port 25; STARTTLS whenever the server offers it),
`smtp://host:587?starttls=1` (STARTTLS required: no fallback to plain text), `smtps://host:465`
(implicit TLS; default port 465), each with optional `user:password@` before the host;
percent-encode `@ : / ? #` inside the user or password. TLS verifies the server's certificate and
host name. The password is never sent in plain text to a host other than this machine (localhost,
127.0.0.0/8, ::1): without TLS, send() refuses (MailError) before AUTH.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "email"
DEFAULT_TIMEOUT = 10.0

KIND_LABELS = {
    "partner_enrollment_failed": "Partner enrollment failed",
    "manual_enrollment_needed": "Manual enrollment needed",
    "sla_breach": "Student waiting too long (SLA breach)",
}

# Headers that send() sets itself; `headers=` may add others (Reply-To, X-...), not these.
_RESERVED_HEADERS = frozenset(
    {"from", "to", "subject", "date", "message-id", "mime-version", "content-type", "content-transfer-encoding"}
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class MailError(Exception):
    """Sending failed: connection, TLS, authentication or SMTP refusal. The message never contains
    the SMTP password. `permanent` is True when resending the same message cannot succeed (the
    server refused the recipient or the content with a 5xx code, or the address is malformed);
    `smtp_code` is the server's reply code when there was one."""

    def __init__(self, message: str, *, permanent: bool = False, smtp_code: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.smtp_code = smtp_code


def _kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind) or str(kind).replace("_", " ").capitalize()


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates ship with the code: no stat() of each file on every email
    )
    env.filters["kind_label"] = _kind_label
    return env


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render `glue/templates/email/<template>.txt` and `.html` with `context`; return
    (subject, text_body, html_body). The subject is the .txt template's first line,
    `Subject: ...`, which is removed from the text body. HTML is autoescaped, text is not.
    A variable missing from `context` raises jinja2.UndefinedError; an unknown template
    raises jinja2.TemplateNotFound."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_]*", template):
        raise ValueError(f"invalid email template name {template!r}")
    env = _environment()
    text = env.get_template(f"{template}.txt").render(context)
    html = env.get_template(f"{template}.html").render(context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"{template}.txt must begin with a 'Subject: ...' line")
    subject = " ".join(first[len("Subject:") :].split())
    if not subject:
        raise ValueError(f"{template}.txt renders an empty subject")
    return subject, body.lstrip("\n"), html


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect, parsed from an SMTP_URL. The password is left out of repr()."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    implicit_tls: bool = False
    starttls: bool = False


def parse_smtp_url(url: str) -> SmtpSettings:
    """Parse `smtp://[user:pass@]host[:port][?starttls=1]` or `smtps://[user:pass@]host[:port]`.
    User and password are percent-decoded. Raises ValueError (without echoing the URL, which may
    hold a password) when the URL is malformed."""
    parts = urlsplit(str(url).strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {scheme or '(no scheme)'}")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("SMTP_URL has an invalid port") from None
    implicit_tls = scheme == "smtps"
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise ValueError(f"SMTP_URL has unknown parameters: {', '.join(sorted(unknown))}")
    starttls_value = (query.get("starttls") or [""])[-1].strip().lower()
    if starttls_value not in _TRUE | _FALSE:
        raise ValueError("SMTP_URL: starttls must be 1 or 0")
    starttls = starttls_value in _TRUE
    if starttls and implicit_tls:
        raise ValueError("SMTP_URL: smtps:// is already TLS; starttls=1 applies to smtp:// only")
    return SmtpSettings(
        host=parts.hostname,
        port=port or (465 if implicit_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        implicit_tls=implicit_tls,
        starttls=starttls,
    )


def _address(value: str, what: str) -> str:
    """The bare addr-spec of `value` ("Name <a@b>" → "a@b"), or ValueError."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"{what} address contains a line break")
    _, addr = parseaddr(value)
    if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise ValueError(f"invalid {what} address {value!r}")
    return addr


class Mailer:
    """Sends multipart (text + HTML) email through one SMTP server. Each send() opens its own
    connection, so one Mailer can be shared by threads."""

    def __init__(
        self,
        smtp_url: str,
        mail_from: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ):
        """`smtp_url` as described in the module docstring; `mail_from` like
        `Training Team <no-reply@example.org>`; `timeout` in seconds applies to connecting and to
        each SMTP exchange; `ssl_context` defaults to the system's trusted CAs with host name checking."""
        self.settings = parse_smtp_url(smtp_url)
        self.mail_from = mail_from.strip()
        self._from_addr = _address(self.mail_from, "MAIL_FROM")
        self._domain = self._from_addr.rpartition("@")[2]
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname

    def __repr__(self) -> str:
        s = self.settings
        scheme = "smtps" if s.implicit_tls else "smtp"
        user = f"{s.username}@" if s.username else ""
        tls = "?starttls=1" if s.starttls else ""
        return f"Mailer({scheme}://{user}{s.host}:{s.port}{tls}, from={self.mail_from!r})"

    @classmethod
    def from_config(cls, config: Any, **kwargs: Any) -> Mailer | None:
        """A Mailer from `SMTP_URL` and `MAIL_FROM` in a dict-like (Flask's app.config, os.environ)
        or an object with those attributes (glue.config.Config); None when SMTP_URL is empty or
        missing (emails disabled). Keyword arguments go to the constructor."""
        if isinstance(config, Mapping) or hasattr(config, "get"):
            smtp_url, mail_from = config.get("SMTP_URL"), config.get("MAIL_FROM")
        else:
            smtp_url, mail_from = getattr(config, "SMTP_URL", None), getattr(config, "MAIL_FROM", None)
        if not smtp_url or not str(smtp_url).strip():
            return None
        if not mail_from or not str(mail_from).strip():
            raise ValueError("MAIL_FROM must be set when SMTP_URL is set")
        return cls(str(smtp_url), str(mail_from), **kwargs)

    def build_message(
        self,
        to: str,
        subject: str,
        text: str,
        html: str | None,
        message_id: str | None = None,
        headers: dict | None = None,
    ) -> EmailMessage:
        """The message send() would deliver: multipart/alternative with the text part first and
        the HTML part second (text only when `html` is empty). A given `message_id` is used as is
        (angle brackets, and `@<MAIL_FROM domain>` when it has no @, are added), so a retried send
        of the same event carries the same Message-ID; otherwise a fresh one is made. Raises
        ValueError for a malformed message_id or an attempt to set a reserved header."""
        msg = EmailMessage()
        msg["From"] = self.mail_from
        msg["To"] = to
        msg["Subject"] = " ".join(subject.split())
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = (
            _normalize_message_id(message_id, self._domain) if message_id else make_msgid(domain=self._domain)
        )
        msg["Auto-Submitted"] = "auto-generated"
        for name, value in (headers or {}).items():
            if name.lower() in _RESERVED_HEADERS:
                raise ValueError(f"header {name} is set by Mailer.send, not through headers=")
            del msg[name]
            msg[name] = value
        msg.set_content(text)
        if html:
            msg.add_alternative(html, subtype="html")
        return msg

    def send(
        self,
        to: str,
        subject: str,
        text: str,
        html: str,
        message_id: str | None = None,
        headers: dict | None = None,
    ) -> str:
        """Send one email to `to` and return its Message-ID (with angle brackets). Extra `headers`
        (e.g. Reply-To, X-Event-Id) are added; From/To/Subject/Date/Message-ID cannot be overridden.
        Raises MailError on connection, TLS, authentication or SMTP errors, and for a malformed
        recipient address; ValueError as build_message() does."""
        try:
            recipient = _address(to, "recipient")
        except ValueError as exc:
            raise MailError(str(exc), permanent=True) from None
        msg = self.build_message(to, subject, text, html, message_id, headers)
        try:
            self._deliver(msg, recipient)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(exc) from None
        return str(msg["Message-ID"])

    def _tls_context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _deliver(self, msg: EmailMessage, recipient: str) -> None:
        s = self.settings
        if s.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, self.local_hostname, timeout=self.timeout, context=self._tls_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, self.local_hostname, timeout=self.timeout)
        with client:
            encrypted = s.implicit_tls
            if not encrypted:
                client.ehlo_or_helo_if_needed()
                # required by the URL, or offered by the server: STARTTLS (smtplib raises when a
                # required STARTTLS is not offered; a failed handshake is an error, never plain text)
                if s.starttls or client.has_extn("starttls"):
                    client.starttls(context=self._tls_context())
                    client.ehlo()
                    encrypted = True
            if s.username:
                if not encrypted and not _is_local(s.host):
                    raise MailError(
                        f"cannot send mail via {s.host}:{s.port}: refusing to send the SMTP password in plain"
                        " text to a host other than this machine; the server offers no STARTTLS: use"
                        " smtps:// (implicit TLS) or a server or port that offers STARTTLS",
                        permanent=False,  # a configuration to fix, after which the retries go through
                    )
                client.login(s.username, s.password or "")
            client.send_message(msg, from_addr=self._from_addr, to_addrs=[recipient])

    def _error(self, exc: BaseException) -> MailError:
        s = self.settings
        code: int | None = None
        permanent = False
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            replies = list(exc.recipients.values())
            code = replies[0][0] if replies else None
            detail = "recipient refused: " + "; ".join(f"{c} {_text(r)}" for c, r in replies)
            permanent = bool(replies) and all(500 <= c < 600 for c, _ in replies)
        elif isinstance(exc, smtplib.SMTPAuthenticationError):
            code = exc.smtp_code
            detail = f"authentication failed for user {s.username!r}: {exc.smtp_code} {_text(exc.smtp_error)}"
        elif isinstance(exc, smtplib.SMTPResponseException):
            code = exc.smtp_code
            detail = f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}"
            permanent = isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600
        elif isinstance(exc, TimeoutError):
            detail = f"timed out after {self.timeout:g} s"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        message = f"cannot send mail via {s.host}:{s.port}: {detail}"
        if s.password:
            message = message.replace(s.password, "***")
        return MailError(message, permanent=permanent, smtp_code=code)


def _is_local(host: str) -> bool:
    """True for this machine: `localhost` (and *.localhost), 127.0.0.0/8, ::1."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _normalize_message_id(value: str, domain: str) -> str:
    """`<local@domain>` from `value`, adding the brackets and, when there is no @, `@domain`."""
    bare = value.strip()
    if bare.startswith("<") and bare.endswith(">"):
        bare = bare[1:-1]
    if "@" not in bare:
        bare = f"{bare}@{domain}"
    if not re.fullmatch(r"[^<>\s@]+@[^<>\s@]+", bare):
        raise ValueError(f"invalid Message-ID {value!r}: expected <local@domain>")
    return f"<{bare}>"
