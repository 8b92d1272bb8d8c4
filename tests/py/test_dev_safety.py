"""Local development safety: the embedded cluster asks every connection for a password (and a
data directory made with `--auth=trust` is migrated), secrets and emails are written 0600 from
their creation, and logs stay out of git."""

from __future__ import annotations

import os
import shutil
import smtplib
import stat
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from devtools import run
from devtools.cluster import PGBIN, Cluster, TemporaryCluster, _as_server_user, free_port, write_private
from devtools.mail_sink import MailSink
from tests.py.services import REPO


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def no_libpq_password(monkeypatch, tmp_path):
    """No password from the environment or a ~/.pgpass: a refusal must come from the server."""
    for name in ("PGPASSWORD", "PGUSER", "PGHOST", "PGSERVICE"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "pgpass"
    write_private(empty, "")
    monkeypatch.setenv("PGPASSFILE", str(empty))


@pytest.fixture
def server_dir():
    """A folder the unprivileged server user can reach (pytest's tmp_path may be root-only)."""
    base = Path(tempfile.mkdtemp(prefix="partnerseq-safety-"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _refused(url: str) -> str:
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(url, connect_timeout=5).close()
    return str(info.value)


def _assert_passwords_required(cluster: Cluster) -> None:
    password = cluster.password
    assert password and len(password) >= 32
    assert f"postgres:{password}@" in cluster.url()
    with psycopg.connect(cluster.url(), connect_timeout=5) as conn:
        assert conn.execute("select current_user").fetchone() == ("postgres",)
        rules = conn.execute("select distinct auth_method from pg_catalog.pg_hba_file_rules").fetchall()
        assert rules == [("scram-sha-256",)]
    # over TCP, without a password and with a wrong one
    assert "password" in _refused(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres")
    assert "password authentication failed" in _refused(
        f"postgresql://postgres:wrong@127.0.0.1:{cluster.port}/postgres"
    )
    # nor through the Unix socket
    assert "password" in _refused(f"postgresql://postgres@/postgres?host={cluster.socket_dir}&port={cluster.port}")
    # the password file: 0600
    assert _mode(cluster.password_file) == 0o600


def test_the_cluster_asks_every_connection_for_its_password(no_libpq_password):
    with TemporaryCluster() as cluster:
        _assert_passwords_required(cluster)
        assert cluster.log_path.exists() and _mode(cluster.log_path) == 0o600


def test_a_data_directory_made_with_trust_is_migrated(no_libpq_password, server_dir, monkeypatch):
    """A developer's `.pgdata` from before (initdb --auth=trust, no password): the next start sets
    a password and rewrites pg_hba.conf; the data is kept."""
    old = Cluster(server_dir / "data", port=free_port(), fsync=False)
    old.datadir.mkdir()
    old._chown(server_dir)
    old._chown(old.datadir)
    old.datadir.chmod(0o700)
    initdb = [str(PGBIN / "initdb"), "-D", str(old.datadir), "-U", "postgres", "--auth=trust", "--no-sync"]
    subprocess.run(_as_server_user(initdb), check=True, stdout=subprocess.DEVNULL)
    monkeypatch.setattr(old, "_require_passwords", lambda: None)
    old.start()  # as the old code did: trust
    try:
        plain = f"postgresql://postgres@127.0.0.1:{old.port}/postgres"
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("create database kept")
    finally:
        old.stop()
    assert old.password is None

    cluster = Cluster(server_dir / "data", port=free_port(), fsync=False)
    cluster.start()
    try:
        _assert_passwords_required(cluster)
        with psycopg.connect(cluster.url("kept")) as conn:
            assert conn.execute("select current_database()").fetchone() == ("kept",)
    finally:
        cluster.stop()
    # and the next start reuses the saved password
    password = cluster.password
    again = Cluster(server_dir / "data", port=free_port(), fsync=False)
    again.start()
    try:
        assert again.password == password
        _assert_passwords_required(again)
    finally:
        again.stop()


@pytest.fixture
def umask_zero():
    """umask 0: a file created with default permissions would be world-readable (0666)."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _spy_on_open(monkeypatch, suffix: str) -> list[int]:
    """The mode of each file named *suffix right after os.open created or opened it."""
    modes: list[int] = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        fd = real_open(path, flags, mode, *args, **kwargs)
        if str(path).endswith(suffix):
            modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return fd

    monkeypatch.setattr(os, "open", spy)
    return modes


def test_write_private_is_0600_from_creation_even_with_umask_zero(tmp_path, umask_zero, monkeypatch):
    path = tmp_path / "secret"
    modes = _spy_on_open(monkeypatch, "secret")
    write_private(path, "TOKEN=1\n")
    assert modes == [0o600]
    assert _mode(path) == 0o600 and path.read_text() == "TOKEN=1\n"
    # an existing, wider file is narrowed before anything is written into it
    path.chmod(0o644)
    write_private(path, "TOKEN=2\n")
    assert _mode(path) == 0o600 and path.read_text() == "TOKEN=2\n"


def test_dev_env_is_0600_from_creation(tmp_path, umask_zero, monkeypatch):
    for key in ("SUPABASE_JWT_SECRET", "PARTNER_WEBHOOK_SECRET", "SECRET_KEY"):
        monkeypatch.setenv(key, "")  # restored (removed) at teardown: _dev_secrets() exports them
    monkeypatch.setattr(run, "RUN_DIR", tmp_path / "run")
    modes = _spy_on_open(monkeypatch, "dev.env")
    run._dev_secrets()
    dev_env = tmp_path / "run" / "dev.env"
    assert modes == [0o600]  # no chmod after the fact: 0600 when the file appeared
    assert _mode(dev_env) == 0o600
    assert "SUPABASE_JWT_SECRET=" in dev_env.read_text()


def test_the_mail_sink_writes_emails_0600(tmp_path, umask_zero):
    sink = MailSink(free_port(), tmp_path / "mail")
    sink.start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.controller.port, timeout=5) as client:
            client.sendmail("a@example.org", ["b@example.org"], b"Subject: sign-in link\r\n\r\nhttps://x/?t=1\r\n")
    finally:
        sink.stop()
    emails = list((tmp_path / "mail").glob("*.eml"))
    assert len(emails) == 1
    assert _mode(emails[0]) == 0o600
    assert _mode(tmp_path / "mail") == 0o700


def test_logs_are_ignored_and_make_run_logs_under_its_run_directory(server_dir, monkeypatch):
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "postgres.log", "worker.log", "sub/dir/x.log"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == ["postgres.log", "worker.log", "sub/dir/x.log"], ignored
    assert not [p for p in REPO.glob("*.log")], "a stray log at the repository's root"

    # devtools.run hands the cluster a log path under RUN_DIR
    seen = {}

    class Stop(Exception):
        pass

    class FakeCluster(Cluster):
        def start(self, timeout: float = 30.0) -> None:
            seen["log_path"] = self.log_path
            raise Stop

    monkeypatch.setattr(run, "Cluster", FakeCluster)
    monkeypatch.setattr(run, "load_dotenv", lambda **kwargs: None)
    for key in ("SUPABASE_JWT_SECRET", "PARTNER_WEBHOOK_SECRET", "SECRET_KEY", "SITE_URL"):
        monkeypatch.setenv(key, "set-by-the-test")
    monkeypatch.setattr(run, "RUN_DIR", server_dir / "run")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PGDATA_DIR", str(server_dir / "pg" / "data"))
    with pytest.raises(Stop):
        run.main()
    assert seen["log_path"] == server_dir / "run" / "postgres.log"
