"""Real services for end-to-end tests, each on 127.0.0.1: the partner simulator and workers as
subprocesses, an SMTP server (aiosmtpd) in-process, and a polling helper."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import requests
from aiosmtpd.controller import Controller

from devtools.cluster import free_port

REPO = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition", every: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


class Simulator:
    """The partner simulator (devtools/partner_simulator/) as a subprocess."""

    def __init__(self, app_url: str, env: dict[str, str], port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app_url, self.env = app_url, env
        self.proc: subprocess.Popen | None = None

    def start(self) -> Simulator:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.partner_simulator",
                "--port",
                str(self.port),
                "--app-url",
                self.app_url,
                "--quiet",
                "--webhook-backoff-ms",
                "20",
            ],
            cwd=REPO,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        assert "listening" in line, line
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def control(self, **settings) -> dict:
        return requests.post(f"{self.url}/_control", json=settings, timeout=5).json()

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_stats", timeout=5).json()

    def complete(self, reference: str) -> dict:
        r = requests.post(f"{self.url}/_complete", json={"reference": reference, "score": 90}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    @property
    def partner_api(self) -> str:
        return f"{self.url}/partners/{{slug}}"


@contextmanager
def simulator(app_url: str, env: dict[str, str], port: int | None = None):
    sim = Simulator(app_url, env, port).start()
    try:
        yield sim
    finally:
        sim.stop()


class WorkerProcess:
    """`flask --app glue worker` as a subprocess."""

    def __init__(self, env: dict[str, str], *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "glue", "worker", "--scan-interval", "0", *args],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=60)

    def log(self) -> str:
        return self.proc.stderr.read() if self.proc.poll() is not None else ""


@contextmanager
def workers(env: dict[str, str], count: int = 1, *args: str):
    procs = [WorkerProcess(env, *args) for _ in range(count)]
    try:
        yield procs
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.terminate()


class SmtpSink:
    """A real SMTP server (aiosmtpd) that keeps every message it receives."""

    def __init__(self):
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
                with sink.lock:
                    sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
