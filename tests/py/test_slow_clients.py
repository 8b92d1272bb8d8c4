"""Slow clients (one byte a second: slowloris headers, slow bodies) must not stall the production
server: nginx (deploy/nginx.conf, rendered by scripts/serve) buffers whole requests in front of
gunicorn started with the documented command. The same load straight against gunicorn is measured
and printed for comparison (figures only: the direct path is what nginx is there to protect)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from devtools.cluster import free_port
from tests.py.conftest import SECRETS, event, sign
from tests.py.live_server import gunicorn
from tests.py.services import REPO, wait_for

NGINX = "/usr/sbin/nginx"
URL = "/api/webhooks/partners/hsi"
SLOW, NORMAL, BUDGET = 10, 20, 2.0  # slow connections, normal requests, seconds each may take


@pytest.fixture
def upstream(db_url):
    # the documented production command: gunicorn --workers 4 --threads 8 'glue:create_app()'
    with gunicorn({"DATABASE_URL": db_url, "PARTNER_WEBHOOK_SECRET_HSI": SECRETS["hsi"]}, workers=4, threads=8) as base:
        yield base


@pytest.fixture
def proxy(upstream):
    run_dir = Path(tempfile.mkdtemp(prefix="serve-"))
    port = free_port()
    conf = subprocess.run(
        [
            REPO / "scripts" / "serve",
            "--render-config",
            str(run_dir),
            f"127.0.0.1:{port}",
            str(urlsplit(upstream).port),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    proc = subprocess.Popen([NGINX, "-c", conf])
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base) or proc.poll() is not None, 20, "nginx")
        assert proc.poll() is None, (run_dir / "nginx-error.log").read_text()
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(run_dir, ignore_errors=True)


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _slow_client(host: str, port: int, index: int, stop: threading.Event) -> None:
    """Half send their headers one byte a second (slowloris); half send complete headers, then
    the body one byte a second."""
    head = f"POST {URL} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
    try:
        with socket.create_connection((host, port), timeout=5) as s:
            if index % 2:
                s.sendall(head.encode())
                trickle = b"x" * 4096
            else:
                trickle = head.encode()
            for byte in trickle:
                if stop.is_set():
                    return
                s.sendall(bytes([byte]))
                stop.wait(1)
    except OSError:
        return  # the server cut it off: what a good front does


def _normal_requests(base: str) -> list[float | None]:
    """NORMAL requests at once (health checks and signed webhooks); each one's latency, None if it
    did not answer within BUDGET."""

    def one(i: int) -> float | None:
        start = time.monotonic()
        try:
            if i % 2:
                r = requests.get(f"{base}/healthz", timeout=BUDGET)
            else:
                body = event("custom.thing")
                r = requests.post(f"{base}{URL}", data=body, headers=sign(body, SECRETS["hsi"]), timeout=BUDGET)
                assert r.json()["status"] == "ignored"
        except requests.Timeout:
            return None
        except requests.ConnectionError:
            return None
        assert r.status_code == 200, r.text
        return time.monotonic() - start

    with ThreadPoolExecutor(max_workers=NORMAL) as pool:
        return list(pool.map(one, range(NORMAL)))


def _under_slow_clients(base: str) -> list[float | None]:
    url = urlsplit(base)
    stop = threading.Event()
    slow = [
        threading.Thread(target=_slow_client, args=(url.hostname, url.port, i, stop), daemon=True) for i in range(SLOW)
    ]
    for t in slow:
        t.start()
    try:
        time.sleep(1.5)  # every slow client connected and trickling
        return _normal_requests(base)
    finally:
        stop.set()
        for t in slow:
            t.join(timeout=5)


def test_slow_clients_do_not_stall_normal_requests_behind_nginx(upstream, proxy):
    direct = _under_slow_clients(upstream)
    time.sleep(1)  # the direct slow connections are gone before the proxied run
    proxied = _under_slow_clients(proxy)
    timeouts_direct = sum(x is None for x in direct)
    answered_direct = [x for x in direct if x is not None]
    print(
        f"\nslow clients: {SLOW} at 1 byte/s, {NORMAL} normal requests each;"
        f" direct to gunicorn: {timeouts_direct} timed out (> {BUDGET} s),"
        f" max {max(answered_direct, default=0):.3f} s of those answered;"
        f" via nginx: {sum(x is None for x in proxied)} timed out,"
        f" max {max(x or BUDGET for x in proxied):.3f} s"
    )
    assert None not in proxied
    assert max(proxied) < BUDGET


def test_nginx_refuses_bodies_over_the_webhook_limit_without_a_5xx(proxy):
    big = b'{"type": "x.padding", "data": {"pad": "' + b"a" * (256 * 1024) + b'"}}'
    r = requests.post(f"{proxy}{URL}", data=big, headers=sign(big, SECRETS["hsi"]), timeout=10)
    assert r.status_code == 413
    # under the limit it reaches the app, which checks the signature
    small = event("custom.thing")
    r = requests.post(f"{proxy}{URL}", data=small, headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 401
