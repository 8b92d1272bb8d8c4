"""Issue 15, done when: every graduate of `make run`'s demo has an Open Badges credential that
scripts/verify-credential accepts, against the keys and status list the running site publishes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import requests

from devtools.cluster import Cluster, free_port
from tests.py.services import REPO, wait_for
from tests.py.test_make_run import _listening


def test_every_demo_graduate_gets_a_credential_that_verify_credential_accepts():
    tmp = Path(tempfile.mkdtemp(prefix="make-run-credentials-"))
    tmp.chmod(0o755)
    ports = {name: free_port() for name in ("PORT", "EMBEDDED_PG_PORT", "SIMULATOR_PORT", "MAIL_SINK_PORT")}
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SMTP_URL", "PARTNER_API_BASE_URL")}
    env = {k: v for k, v in env.items() if not k.startswith("CREDENTIAL_")}
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
        key = tmp / "run" / "credential-signing-key.pem"
        assert key.stat().st_mode & 0o777 == 0o600
        url = Cluster(tmp / "pg" / "data", port=ports["EMBEDDED_PG_PORT"]).url()

        def graduates():
            with psycopg.connect(url) as conn:
                return conn.execute(
                    "select c.verification_code, r.jwt from public.certificates c"
                    " left join public.credentials r on r.certificate_id = c.id"
                ).fetchall()

        wait_for(lambda: graduates() and all(jwt for _, jwt in graduates()), 60, "every demo graduate's credential")
        rows = graduates()
        assert rows  # the demo has graduates (Eve)
        (tmp / "jwks.json").write_text(requests.get(f"{base}/.well-known/jwks.json", timeout=5).text)
        for code, _ in rows:
            credential = tmp / f"{code}.jwt"
            credential.write_text(requests.get(f"{base}/certificates/{code}/credential.jwt", timeout=5).text)
            online = subprocess.run(
                [str(REPO / "scripts" / "verify-credential"), str(credential)],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert online.returncode == 0, online.stderr
            assert "verified: signature valid, issued by" in online.stdout
            html = requests.get(f"{base}/certificates/{code}", timeout=5).text
            assert "Digital credential verified: signature valid" in html
    except (AssertionError, requests.RequestException, psycopg.Error) as exc:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
        raise AssertionError(f"{exc}\n{log_path.read_text()[-5000:]}") from None
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=60)
    assert proc.returncode == 0, log_path.read_text()[-3000:]
    shutil.rmtree(tmp, ignore_errors=True)
