"""A real PgBouncer (Debian's /usr/sbin/pgbouncer, 1.18) in `pool_mode=transaction` in front of
the test cluster, the way Supabase's pooler serves apps: consecutive transactions of one client
run on whichever server connection is free, so any session state (a `set role`, a prepared
statement, a session advisory lock) would surface in another client's transaction.

Started like the test cluster: in a temporary folder, on a free 127.0.0.1 port, as the `postgres`
system user (through setpriv) when the tests run as root. Like the cluster behind it, it asks
for a password: `auth_type = scram-sha-256`, a userlist (0600) with each login's password in
plain text, which PgBouncer also uses to log in to the server with SCRAM. The test roles share
the cluster's password. `default_pool_size` is small (4) so that clients share server
connections, and `server_round_robin = 1` hands a client's consecutive transactions to different
server connections whenever several are open, so a leak shows up instead of hiding behind reuse.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from devtools.cluster import _as_server_user, _is_root, free_port, write_private

PGBOUNCER = Path(os.environ.get("PGBOUNCER", "/usr/sbin/pgbouncer"))


class PgBouncer:
    """`PgBouncer(server_port, users, password=...)`: start(), url(dbname, user), stop()."""

    def __init__(self, server_port: int, users: list[str], pool_size: int = 4, *, password: str):
        self.server_port = server_port
        self.users = users
        self.password = password
        self.pool_size = pool_size
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="partnerseq-pgbouncer-"))
        self.proc: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.base / "pgbouncer.log"

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def route(self, direct_url: str, user: str) -> str:
        """The same database as `direct_url`, reached through this pooler as `user`."""
        parts = urlsplit(direct_url)
        return urlunsplit(parts._replace(netloc=f"{user}:{self.password}@127.0.0.1:{self.port}"))

    def _write_config(self) -> Path:
        userlist = self.base / "userlist.txt"
        write_private(userlist, "".join(f'"{u}" "{self.password}"\n' for u in self.users))
        config = self.base / "pgbouncer.ini"
        config.write_text(
            f"""[databases]
* = host=127.0.0.1 port={self.server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = {self.base / "userlist.txt"}
admin_users = postgres
pool_mode = transaction
default_pool_size = {self.pool_size}
server_round_robin = 1
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 2000
max_db_connections = 0
server_lifetime = 3600
server_idle_timeout = 60
query_wait_timeout = 60
ignore_startup_parameters = extra_float_digits,options
logfile = {self.log_path}
pidfile = {self.base / "pgbouncer.pid"}
log_connections = 0
log_disconnections = 0
"""
        )
        if _is_root():
            pw = pwd.getpwnam("postgres")
            for path in (self.base, *self.base.iterdir()):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        return config

    def start(self, timeout: float = 15.0) -> PgBouncer:
        if not PGBOUNCER.exists():
            raise RuntimeError(f"{PGBOUNCER} is missing: run scripts/bootstrap (it installs Debian's pgbouncer)")
        config = self._write_config()
        self.proc = subprocess.Popen(
            _as_server_user([str(PGBOUNCER), str(config)]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.log_path.read_text() if self.log_path.exists() else ""
                raise RuntimeError(f"pgbouncer exited with {self.proc.returncode}:\n{log[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pgbouncer did not listen on {self.port} within {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: immediate shutdown
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
