"""A PostgreSQL 15 cluster owned by this project: the embedded default of `make run`, and the
throwaway clusters of the tests and benchmarks.

`initdb` and `postgres` refuse to run as root, so when invoked as root they are exec'd through
`setpriv` as the unprivileged `postgres` system user (setpriv execs in place, so signals reach
the server). The data directory is chowned to that user.

Every connection needs a password (scram-sha-256, TCP and socket alike): `init()` generates one,
keeps it in `postgres.password` (mode 0600, created so from the start) beside the data directory,
and `url()` carries it. A data directory made by an older version with `--auth=trust` is
migrated by the next `start()`: a password is generated (or the saved one reused), set for the
`postgres` role in single-user mode (no server listening meanwhile) and pg_hba.conf is rewritten.

    python -m devtools.cluster start [--datadir DIR] [--port N]   # init if needed, start, print URL
    python -m devtools.cluster url [--datadir DIR] [--port N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
REPO = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 54329
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",
    "shared_buffers": "256MB",
    "shared_preload_libraries": "pg_stat_statements",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
}


PG_HBA = """\
# Written by devtools.cluster: every connection authenticates with a password (scram-sha-256).
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 scram-sha-256
host    all          all   127.0.0.1/32  scram-sha-256
host    all          all   ::1/128       scram-sha-256
local   replication  all                 scram-sha-256
host    replication  all   127.0.0.1/32  scram-sha-256
host    replication  all   ::1/128       scram-sha-256
"""


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` (created or truncated) with mode 0600 from the first byte, whatever
    the umask: the file never exists with wider permissions, even for an instant."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT: narrow it first
        with os.fdopen(fd, "w", closefd=False) as f:
            f.write(text)
    finally:
        os.close(fd)


def _hba_trusts(hba: Path) -> bool:
    """True when a rule of pg_hba.conf lets someone in without a password (trust)."""
    for line in hba.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if fields and "trust" in fields:
            return True
    return False


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_server_user(argv: list[str]) -> list[str]:
    """Prefix argv so it runs as the `postgres` system user when we are root."""
    if not _is_root():
        return argv
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]


def _server_user_can_reach(path: Path) -> bool:
    if not _is_root():
        return True
    probe = subprocess.run(_as_server_user(["test", "-x", str(path)]), capture_output=True, check=False)
    return probe.returncode == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_datadir() -> Path:
    """`.pgdata/data` under the repository, or a stable folder under /var/tmp when the repository
    lives where the unprivileged server user cannot reach (e.g. under /root)."""
    in_repo = REPO / ".pgdata" / "data"
    if _server_user_can_reach(REPO):
        return in_repo
    digest = hashlib.sha1(str(REPO).encode()).hexdigest()[:10]
    return Path("/var/tmp") / f"partnerseq-{digest}" / "pgdata"


class Cluster:
    """One PostgreSQL server: `init()` once, `start()`, `url()`, `stop()`."""

    def __init__(self, datadir: Path, port: int | None = None, fsync: bool = True, log_path: Path | None = None):
        self.datadir = Path(datadir)
        self.port = port or free_port()
        self.fsync = fsync
        self.socket_dir = self.datadir.parent / "sock"
        self.password_file = self.datadir.parent / "postgres.password"
        self.log_path = Path(log_path) if log_path else self.datadir.parent / "postgres.log"
        self.proc: subprocess.Popen | None = None

    @property
    def password(self) -> str | None:
        """The `postgres` role's password (None before `init()`)."""
        try:
            return self.password_file.read_text().strip() or None
        except FileNotFoundError:
            return None

    def url(self, dbname: str = "postgres") -> str:
        """`postgresql://postgres:<password>@127.0.0.1:<port>/<dbname>`."""
        password = self.password
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    def _new_password(self) -> str:
        password = secrets.token_hex(24)
        write_private(self.password_file, password + "\n")
        return password

    def _server_file(self, path: Path, text: str) -> None:
        """A 0600 file the server user owns (written by us, so also when we are root)."""
        write_private(path, text)
        self._chown(path)

    def _require_passwords(self) -> None:
        """Make an existing data directory refuse password-less connections: if pg_hba.conf trusts
        anyone or no password is saved, set the (saved or a new) password for `postgres` in
        single-user mode, then write pg_hba.conf. The server must not be running."""
        hba = self.datadir / "pg_hba.conf"
        password = self.password
        if password and not _hba_trusts(hba):
            return
        password = password or self._new_password()
        subprocess.run(
            _as_server_user([str(PGBIN / "postgres"), "--single", "-D", str(self.datadir), "postgres"]),
            input=f"alter role postgres password '{password}'\n",  # hex: nothing to escape
            text=True,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._server_file(hba, PG_HBA)

    def _chown(self, path: Path) -> None:
        if _is_root():
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def init(self) -> None:
        if (self.datadir / "PG_VERSION").exists():
            self._require_passwords()
            return
        self.datadir.mkdir(parents=True, exist_ok=True)
        if not _server_user_can_reach(self.datadir.parent.parent):
            raise RuntimeError(
                f"the postgres user cannot reach {self.datadir.parent}: choose a data folder outside "
                "root-only directories (PGDATA_DIR)"
            )
        self._chown(self.datadir.parent)
        self._chown(self.datadir)
        os.chmod(self.datadir, 0o700)
        password = self.password or self._new_password()
        pwfile = self.datadir.parent / ".initdb-password"
        self._server_file(pwfile, password + "\n")  # initdb runs as the server user: it must read it
        try:
            subprocess.run(
                _as_server_user(
                    [
                        str(PGBIN / "initdb"),
                        "-D",
                        str(self.datadir),
                        "-U",
                        "postgres",
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "-E",
                        "UTF8",
                        "--no-locale",
                        "--no-sync",
                    ]
                ),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        self._server_file(self.datadir / "pg_hba.conf", PG_HBA)

    def start(self, timeout: float = 30.0) -> None:
        self.init()
        self.socket_dir.mkdir(exist_ok=True)
        self._chown(self.socket_dir)
        settings = dict(SERVER_SETTINGS, port=str(self.port), unix_socket_directories=str(self.socket_dir))
        if not self.fsync:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        argv = [str(PGBIN / "postgres"), "-D", str(self.datadir)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")
        self.proc = subprocess.Popen(_as_server_user(argv), stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.proc.returncode}; see {self.log_path}")
            ready = subprocess.run(
                [str(PGBIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"postgres did not accept connections within {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class TemporaryCluster(Cluster):
    """A cluster in a fresh temporary folder, removed on `stop()`. No fsync: for tests."""

    def __init__(self, fsync: bool = False):
        base = Path(tempfile.mkdtemp(prefix="partnerseq-pg-"))
        super().__init__(base / "data", fsync=fsync)
        self.base = base

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> TemporaryCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.cluster", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["start", "url"])
    parser.add_argument("--datadir", type=Path, default=None)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    cluster = Cluster(args.datadir or default_datadir(), port=args.port)
    if args.command == "url":
        print(cluster.url())
        return 0
    cluster.start()
    print(cluster.url(), flush=True)
    try:
        cluster.proc.wait()
    except KeyboardInterrupt:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
