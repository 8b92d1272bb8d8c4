"""`make run` (python -m devtools.run) brings the whole loop up on an embedded cluster and Ctrl-C
brings it all down."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

from devtools.cluster import free_port
from tests.py.services import REPO, wait_for


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_serves_the_loop_and_ctrl_c_stops_everything():
    # the cluster's folder must be reachable by the unprivileged server user: not pytest's tmp_path
    tmp = Path(tempfile.mkdtemp(prefix="make-run-"))
    tmp.chmod(0o755)
    ports = {name: free_port() for name in ("PORT", "EMBEDDED_PG_PORT", "SIMULATOR_PORT", "MAIL_SINK_PORT")}
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SMTP_URL", "PARTNER_API_BASE_URL")}
    env.update({k: str(v) for k, v in ports.items()})
    env.update({"PGDATA_DIR": str(tmp / "pg" / "data"), "RUN_DIR": str(tmp / "run")})
    log_path = tmp / "run.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "devtools.run"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{ports['PORT']}"
    try:
        wait_for(lambda: _listening(ports["PORT"]) or proc.poll() is not None, 90, "the web app")
        assert requests.get(f"{base}/healthz", timeout=5).json() == {"status": "ok", "database": "up"}
        login = requests.get(f"{base}/login", timeout=5).text
        assert "Development sign-in" in login and "Ada Okafor" in login
        sim = f"http://127.0.0.1:{ports['SIMULATOR_PORT']}"
        # the worker enrolls the demo student Ada at HSI through the simulator, and mails her
        wait_for(lambda: requests.get(f"{sim}/_stats", timeout=5).json()["created"] >= 1, 60, "Ada enrolled at HSI")
        assert "Complete course" in requests.get(sim, timeout=5).text
        wait_for(lambda: list((tmp / "run" / "mail").glob("*.eml")), 60, "an email in the local sink")
    except (AssertionError, requests.RequestException) as exc:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        raise AssertionError(f"{exc}\n{log_path.read_text()[-5000:]}") from None
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    proc.wait(timeout=60)
    output = log_path.read_text()
    assert proc.returncode == 0, output
    assert "Partner simulator" in output and "/login" in output
    for name, port in ports.items():
        assert not _listening(port), f"{name} {port} still open after Ctrl-C"
    shutil.rmtree(tmp, ignore_errors=True)
