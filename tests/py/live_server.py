"""Run the web app for real: gunicorn (the production server config) on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import requests

from devtools.cluster import free_port


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, threads: int = 16):
    """Start `gunicorn 'glue:create_app()'` with these environment variables; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "glue:create_app()",
        ],
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
