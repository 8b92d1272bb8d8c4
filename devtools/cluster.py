"""A PostgreSQL 15 cluster owned by this project: the embedded default of `make run`, and the
throwaway clusters of the tests and benchmarks.

`initdb` and `postgres` refuse to run as root, so when invoked as root they are exec'd through
`setpriv` as the unprivileged `postgres` system user (setpriv execs in place, so signals reach
the server). The data directory is chowned to that user.

    python -m devtools.cluster start [--datadir DIR] [--port N]   # init if needed, start, print URL
    python -m devtools.cluster url [--datadir DIR] [--port N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pwd
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

    def __init__(self, datadir: Path, port: int | None = None, fsync: bool = True):
        self.datadir = Path(datadir)
        self.port = port or free_port()
        self.fsync = fsync
        self.socket_dir = self.datadir.parent / "sock"
        self.proc: subprocess.Popen | None = None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _chown(self, path: Path) -> None:
        if _is_root():
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def init(self) -> None:
        if (self.datadir / "PG_VERSION").exists():
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
        subprocess.run(
            _as_server_user(
                [
                    str(PGBIN / "initdb"),
                    "-D",
                    str(self.datadir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

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
        log = open(self.datadir.parent / "postgres.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(_as_server_user(argv), stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"postgres exited with {self.proc.returncode}; see {self.datadir.parent / 'postgres.log'}"
                )
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
