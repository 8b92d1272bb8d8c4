"""`make run` (`python -m devtools.run`): the whole loop on this machine, stopped by Ctrl-C.

- PostgreSQL: DATABASE_URL when set; otherwise the embedded default, a PostgreSQL 15 cluster kept
  under the repository (`.pgdata/`, git-ignored; `PGDATA_DIR` to move it) and reused across runs.
  It asks every connection for a password (`.pgdata/postgres.password`, 0600; in the URL
  the run exports as DATABASE_URL); its log is `.run/postgres.log`.
- Migrations, the seed (partners, programs) and the demo users and enrollments (supabase/demo.sql).
- A local SMTP sink (127.0.0.1:$MAIL_SINK_PORT, default 8025) writing every email to
  `.run/mail/*.eml` (`RUN_DIR` to move it) — unless SMTP_URL is set.
- The partner simulator (http://127.0.0.1:$SIMULATOR_PORT, default 8099): the partners' REST API
  and a page with a "Complete course" button per enrollment — unless PARTNER_API_BASE_URL is set.
- The worker (`flask --app glue worker`) and the web app on 127.0.0.1:$PORT (default 5000).

Secrets it needs and you did not set (SUPABASE_JWT_SECRET, SECRET_KEY, and one webhook secret per
partner, PARTNER_WEBHOOK_SECRET_<SLUG>: whsec_ + 32 random bytes) are generated once into
`.run/dev.env` and reused, so sessions survive a restart; the Open Badges issuer key likewise into
`.run/credential-signing-key.pem` (0600).
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import psycopg
from dotenv import dotenv_values, load_dotenv

from glue import migrate

from .cluster import DEFAULT_PORT, REPO, Cluster, default_datadir, write_private
from .mail_sink import MailSink

log = logging.getLogger("devtools.run")
RUN_DIR = Path(os.environ.get("RUN_DIR") or REPO / ".run")


def _webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _dev_secrets(partners: Iterable[str] = ()) -> None:
    """Generate (once) and export the secrets a local run needs: each partner its own webhook
    secret (the shared PARTNER_WEBHOOK_SECRET is not used)."""
    RUN_DIR.mkdir(exist_ok=True)
    path = RUN_DIR / "dev.env"
    saved = dotenv_values(path) if path.exists() else {}
    wanted = {
        "SUPABASE_JWT_SECRET": lambda: secrets.token_urlsafe(48),
        "SECRET_KEY": lambda: secrets.token_urlsafe(32),
        **{f"PARTNER_WEBHOOK_SECRET_{slug.upper()}": _webhook_secret for slug in partners},
    }
    changed = False
    for key, make in wanted.items():
        if os.environ.get(key):
            continue
        if not saved.get(key):
            saved[key] = make()
            changed = True
        os.environ[key] = saved[key]
    if changed:
        write_private(path, "".join(f"{k}={v}\n" for k, v in saved.items()))  # 0600 from the start
    _dev_credential_key()


def _dev_credential_key() -> None:
    """The development issuer's Ed25519 key for Open Badges credentials (docs/credentials.md):
    generated once into .run/credential-signing-key.pem (0600), unless CREDENTIAL_SIGNING_KEY or
    CREDENTIAL_SIGNING_KEY_FILE is set."""
    if os.environ.get("CREDENTIAL_SIGNING_KEY") or os.environ.get("CREDENTIAL_SIGNING_KEY_FILE"):
        return
    key_path = RUN_DIR / "credential-signing-key.pem"
    if not key_path.exists():
        from glue.credentials import generate_key

        write_private(key_path, generate_key())
    os.environ["CREDENTIAL_SIGNING_KEY_FILE"] = str(key_path)


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30.0) -> None:
    """Return once something listens on 127.0.0.1:port; RuntimeError if `proc` died or time ran out."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f} s")


def _spawn(argv: list[str]) -> subprocess.Popen:
    # from the repository, where `python -m devtools.partner_simulator` finds the devtools package
    return subprocess.Popen(argv, cwd=REPO, env=os.environ.copy(), start_new_session=True)


def main() -> int:
    load_dotenv(override=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    _dev_secrets()
    port = int(os.environ.get("PORT", "5000"))
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    children: list[subprocess.Popen] = []
    cluster = sink = None
    url = shown_url = os.environ.get("DATABASE_URL")
    try:
        if not url:
            datadir = Path(os.environ["PGDATA_DIR"]) if os.environ.get("PGDATA_DIR") else default_datadir()
            cluster = Cluster(
                datadir,
                port=int(os.environ.get("EMBEDDED_PG_PORT", DEFAULT_PORT)),
                log_path=RUN_DIR / "postgres.log",
            )
            log.info("starting the embedded PostgreSQL in %s on port %d", cluster.datadir, cluster.port)
            try:
                cluster.start()
            except subprocess.CalledProcessError as exc:
                log.error(
                    "initdb, or setting the postgres password, failed (exit %s); see the lines above"
                    " (does another server use %s?)",
                    exc.returncode,
                    cluster.datadir,
                )
                return 1
            except RuntimeError as exc:
                log.error("%s (if another `make run` uses port %d, set EMBEDDED_PG_PORT)", exc, cluster.port)
                return 1
            url = os.environ["DATABASE_URL"] = cluster.url()
            shown_url = url.replace(f":{cluster.password}@", ":***@") + f"   (password in {cluster.password_file})"
        migrate.migrate(url)
        migrate.seed(url)
        migrate.demo(url)
        with psycopg.connect(url) as conn:
            _dev_secrets(r[0] for r in conn.execute("select slug from public.partner_lms_providers order by slug"))

        mail_note = os.environ.get("SMTP_URL", "")
        if not mail_note:
            sink_port = int(os.environ.get("MAIL_SINK_PORT", "8025"))
            sink = MailSink(sink_port, RUN_DIR / "mail")
            sink.start()
            os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{sink_port}"
            os.environ.setdefault("MAIL_FROM", "Training Team <training@localhost>")
            mail_note = f"local sink, every email in {RUN_DIR / 'mail'}"

        simulator_note = os.environ.get("PARTNER_API_BASE_URL", "")
        if not simulator_note:
            sim_port = int(os.environ.get("SIMULATOR_PORT", "8099"))
            children.append(
                _spawn(
                    [
                        sys.executable,
                        "-m",
                        "devtools.partner_simulator",
                        "--port",
                        str(sim_port),
                        "--app-url",
                        f"http://127.0.0.1:{port}",
                        # its enrollments survive a restart; it lists and completes the database's too
                        "--state-file",
                        str(RUN_DIR / "partner-simulator.json"),
                        "--database-url",
                        url,
                        "--quiet",
                    ]
                )
            )
            _wait_for_port(sim_port, children[-1], "the partner simulator")
            os.environ["PARTNER_API_BASE_URL"] = f"http://127.0.0.1:{sim_port}/partners/{{slug}}"
            simulator_note = f"http://127.0.0.1:{sim_port}/   (complete a student's course here)"

        children.append(_spawn([sys.executable, "-m", "flask", "--app", "glue", "worker", "--scan-interval", "60"]))

        from glue import create_app
        from glue.config import DevelopmentConfig

        app = create_app(DevelopmentConfig(DATABASE_URL=url))
        print(
            "\n"
            f"  Web app            http://127.0.0.1:{port}/\n"
            f"  Sign in            http://127.0.0.1:{port}/login   (demo admin and students listed)\n"
            f"  Partner simulator  {simulator_note}\n"
            f"  Email              {mail_note}\n"
            f"  Database           {shown_url}\n"
            "  Stop               Ctrl-C\n",
            flush=True,
        )
        signal.signal(signal.SIGTERM, _interrupt)
        app.run(host="127.0.0.1", port=port, debug=False, use_reloader=False, threaded=True)
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        log.error("%s", exc)
        return 1
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        if sink:
            sink.stop()
        if cluster:
            log.info("stopping the embedded PostgreSQL")
            cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
