"""A local SMTP server (aiosmtpd) for `make run`: every message it receives is written to a folder
as an `.eml` file and logged in one line. Development only (aiosmtpd is a dev dependency)."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

log = logging.getLogger("devtools.mail_sink")


def _write_private(path: Path, content: bytes) -> None:
    """A new file, mode 0600 from its creation whatever the umask (emails hold sign-in links)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(content)


class MailSink:
    """A local SMTP server on 127.0.0.1:`port` that writes each message to `directory` and logs one line."""

    def __init__(self, port: int, directory: Path):
        from aiosmtpd.controller import Controller

        self.dir = directory
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        sink = self
        self.count = 0
        self.lock = threading.Lock()

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
                from email import message_from_bytes, policy

                message = message_from_bytes(envelope.content, policy=policy.default)
                with sink.lock:
                    sink.count += 1
                    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{sink.count:04d}.eml"
                _write_private(sink.dir / name, envelope.content)
                log.info("mail to %s: %s (%s)", ", ".join(envelope.rcpt_tos), message["Subject"], sink.dir / name)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
