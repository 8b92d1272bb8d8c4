"""Malformed requests over raw sockets against the production servers: gunicorn itself, and
nginx in front of it (deploy/nginx.conf, rendered by scripts/serve). Framing (bad, negative, huge
or duplicated Content-Length; Content-Length shorter or longer than the body; malformed chunked
bodies; Content-Length with Transfer-Encoding; truncated bodies), huge and malformed headers,
invalid UTF-8 in the path, headers and body, HTTP/1.0 and 0.9 and odd versions, pipelining, odd
methods, giant URLs, nested and huge JSON, wrong content types and malformed signatures and
timestamps. Deterministic (seeded); FUZZ_RAW cases against gunicorn and FUZZ_RAW_NGINX through
nginx, counts printed. The rule: never a 5xx, nothing logged as a traceback, and the server still
answers afterwards. gunicorn's own 400 answers count as 4xx; a connection closed without an
answer is not a 5xx (counted apart) — what the server did with it is checked by what follows."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from devtools.cluster import free_port
from tests.py.conftest import SECRETS, event, sign
from tests.py.services import REPO, wait_for

FUZZ_RAW = int(os.environ.get("FUZZ_RAW", "3000"))
FUZZ_RAW_NGINX = int(os.environ.get("FUZZ_RAW_NGINX", "1000"))
SEED = 12
NGINX = "/usr/sbin/nginx"
URL = "/api/webhooks/partners/hsi"
STATUS_LINE = re.compile(rb"HTTP/\d\.\d (\d{3})")
# The only 5xx allowed, counted apart: the protocol's own answers from the front server, before
# the app sees the request (RFC 9112): 501 for a transfer coding it does not implement (here
# `xchunked`, `gzip, chunked`, two Transfer-Encoding headers...: nginx implements `chunked` alone),
# 505 for an HTTP major version it does not speak (nginx).
TRANSFER_ENCODING = re.compile(rb"(?im)^transfer-encoding:([^\r\n]*)")
UNKNOWN_VERSION = re.compile(rb"[^\r\n]* HTTP/([2-9]|\d\d)")


# --- the servers -------------------------------------------------------------------------------


@pytest.fixture
def upstream(db_url, tmp_path):
    """gunicorn with the documented settings, its log (the app's too) in a file."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--threads",
                "8",
                "--bind",
                f"127.0.0.1:{port}",
                "glue:create_app()",
            ],
            env={
                **os.environ,
                "DATABASE_URL": db_url,
                "PARTNER_WEBHOOK_SECRET_HSI": SECRETS["hsi"],
                "SUPABASE_JWT_SECRET": "raw-fuzz-jwt-secret-with-at-least-32-bytes",
                "SECRET_KEY": "raw-fuzz-session-secret",
            },
            stdout=out,
            stderr=out,
        )
    try:
        wait_for(lambda: _healthy(port) or proc.poll() is not None, 30, "gunicorn")
        assert proc.poll() is None, log.read_text()
        yield port, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def proxy(upstream):
    run_dir = Path(tempfile.mkdtemp(prefix="serve-"))
    port = free_port()
    conf = subprocess.run(
        [REPO / "scripts" / "serve", "--render-config", str(run_dir), f"127.0.0.1:{port}", str(upstream[0])],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    proc = subprocess.Popen([NGINX, "-c", conf])
    try:
        wait_for(lambda: _healthy(port) or proc.poll() is not None, 20, "nginx")
        assert proc.poll() is None, (run_dir / "nginx-error.log").read_text()
        yield port, run_dir
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(run_dir, ignore_errors=True)


def _healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


# --- the cases -----------------------------------------------------------------------------------


def _signature(body: bytes, secret: str = SECRETS["hsi"], msg_id: str | None = None) -> dict[str, str]:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = str(int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def _head(method: bytes, target: bytes, headers: list[tuple[bytes, bytes]], version: bytes = b"HTTP/1.1") -> bytes:
    lines = [method + b" " + target + b" " + version]
    lines += [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _post(body: bytes, extra: list[tuple[bytes, bytes]] | None = None, signed: bool = True, cl: bytes | None = None):
    headers = [(b"Host", b"127.0.0.1"), (b"Content-Type", b"application/json"), (b"Connection", b"close")]
    if signed:
        headers += [(k.encode(), v.encode()) for k, v in _signature(body).items()]
    headers.append((b"Content-Length", cl if cl is not None else str(len(body)).encode()))
    headers += extra or []
    return _head(b"POST", URL.encode(), headers) + body


def _chunked(body_chunks: bytes, extra: list[tuple[bytes, bytes]] | None = None, signed_body: bytes | None = None):
    headers = [(b"Host", b"127.0.0.1"), (b"Content-Type", b"application/json"), (b"Connection", b"close")]
    if signed_body is not None:
        headers += [(k.encode(), v.encode()) for k, v in _signature(signed_body).items()]
    headers += [(b"Transfer-Encoding", b"chunked")] + (extra or [])
    return _head(b"POST", URL.encode(), headers) + body_chunks


def _encode_chunks(body: bytes, size: int) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        part = body[i : i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def _json_body(rng: random.Random) -> bytes:
    return event(
        rng.choice(["course.completed", "progress.updated", "certificate.issued", "x.other"]),
        external_enrollment_id=f"EXT-{rng.randrange(10**6)}",
        percent=rng.choice([1, 50, 101, -1, "x"]),
    )


def case_content_length(rng):
    body = _json_body(rng)
    cl = rng.choice(
        [
            b"-1",
            b"-100",
            b"abc",
            b"1e3",
            b"0x10",
            b"+5",
            b" 5",
            b"99999999999999999999999",
            b"18446744073709551616",
            b"",
            b"1 2",
            str(len(body) * 1000).encode(),
            b"262145",
            b"\xff",
            b"5, 5",
        ]
    )
    return _post(body, cl=cl, signed=rng.random() < 0.5), "bad Content-Length"


def case_content_length_mismatch(rng):
    body = _json_body(rng)
    if rng.random() < 0.5:  # shorter: the rest is read as the next (garbage) request
        return _post(body, cl=str(rng.randrange(0, len(body))).encode()), "Content-Length shorter than the body"
    return _post(body, cl=str(len(body) + rng.randrange(1, 5000)).encode()), "Content-Length longer than the body"


def case_duplicate_content_length(rng):
    body = _json_body(rng)
    second = rng.choice([str(len(body)).encode(), str(len(body) + 3).encode(), b"0"])
    return _post(body, extra=[(b"Content-Length", second)]), "two Content-Length headers"


def case_chunked_malformed(rng):
    body = _json_body(rng)
    good = _encode_chunks(body, rng.randrange(1, 64))
    variants = [
        b"zz\r\n" + body + b"\r\n0\r\n\r\n",  # not hex
        b"-5\r\n" + body[:5] + b"\r\n0\r\n\r\n",  # negative
        b"ffffffffffffffffffff\r\n" + body + b"\r\n0\r\n\r\n",  # huge
        f"{len(body):x}\r\n".encode() + body + b"0\r\n\r\n",  # missing CRLF after data
        f"{len(body) + 10:x}\r\n".encode() + body + b"\r\n0\r\n\r\n",  # size larger than the data
        f"{len(body):x};ext=\xff\r\n".encode("latin-1") + body + b"\r\n0\r\n\r\n",  # odd extension
        good[: rng.randrange(1, len(good))],  # truncated
        good[:-2],  # no final CRLF
        good.replace(b"\r\n", b"\n"),  # bare LF
        good[:-2] + b"X-Trailer: \xff\xfe\r\n\r\n",  # trailer garbage
        b"0\r\n\r\n",  # empty
        f"{len(body):x}\r\n".encode() + body + b"\r\n",  # no last chunk
    ]
    return _chunked(rng.choice(variants), signed_body=body if rng.random() < 0.5 else None), "malformed chunked body"


def case_chunked_forms(rng):
    form = b"csrf_token=x&user_id=" + str(uuid.uuid4()).encode() + b"&reason=because"
    variants = [
        b"zz\r\n" + form + b"\r\n0\r\n\r\n",
        b"-1\r\nab\r\n0\r\n\r\n",
        f"{len(form):x};\x01\r\n".encode() + form + b"\r\n0\r\n\r\n",
        f"{len(form):x}\r\n".encode() + form + b"XX0\r\n\r\n",
        _encode_chunks(form, 7)[:-9],
    ]
    target = rng.choice(
        [
            b"/logout",
            b"/login/dev",
            b"/admin/steps/" + str(uuid.uuid4()).encode() + b"/retry",
            b"/admin/events/1/replay",
        ]
    )
    headers = [
        (b"Host", b"127.0.0.1"),
        (b"Connection", b"close"),
        (b"Content-Type", b"application/x-www-form-urlencoded"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Cookie", b"sb-access-token=x; session=y"),
    ]
    return _head(b"POST", target, headers) + rng.choice(variants), "malformed chunked body to a page form"


def case_chunked_huge(rng):
    body = b'{"type": "x.pad", "data": {"pad": "' + b"a" * rng.choice([256 * 1024, 300 * 1024]) + b'"}}'
    return _chunked(_encode_chunks(body, 32 * 1024), signed_body=body), "chunked body over the limit"


def case_cl_and_te(rng):
    body = _json_body(rng)
    te = rng.choice(
        [
            b"chunked",
            b"Chunked",
            b"chunked, identity",
            b"identity",
            b"gzip, chunked",
            b"xchunked",
            b" chunked",
            b"chunked\x0b",
            b"chunked, chunked",
        ]
    )
    encoded = _encode_chunks(body, 16)
    headers = [
        (b"Host", b"127.0.0.1"),
        (b"Content-Type", b"application/json"),
        (b"Connection", b"close"),
        (b"Content-Length", str(rng.choice([len(body), len(encoded), 4])).encode()),
        (b"Transfer-Encoding", te),
    ]
    if rng.random() < 0.3:
        headers.append((b"Transfer-Encoding", b"chunked"))
    headers += [(k.encode(), v.encode()) for k, v in _signature(body).items()]
    return _head(b"POST", URL.encode(), headers) + rng.choice([encoded, body]), "Content-Length and Transfer-Encoding"


def case_huge_headers(rng):
    body = _json_body(rng)
    kind = rng.randrange(4)
    if kind == 0:
        extra = [(b"X-Big", b"a" * rng.choice([8 * 1024, 16 * 1024, 70 * 1024]))]
    elif kind == 1:
        extra = [(f"X-H{i}".encode(), b"v") for i in range(rng.choice([100, 120, 500]))]
    elif kind == 2:
        extra = [(b"webhook-signature", b"v1," + b"A" * rng.choice([4096, 9000]))]
    else:
        extra = [(b"X-Folded", b"a\r\n  continued"), (b"NoColonHere\r\nX", b"y")]
    return _post(body, extra=extra), "huge or malformed headers"


def case_bad_header_bytes(rng):
    body = _json_body(rng)
    bad = rng.choice([b"\xff\xfe", b"caf\xe9", b"\x00", b"\x7f", b"\xc3\x28", b"\xe2\x82"])
    name = rng.choice([b"webhook-id", b"webhook-timestamp", b"webhook-signature", b"Content-Type", b"X-Any", b"Host"])
    headers = [(b"Host", b"127.0.0.1"), (b"Connection", b"close"), (b"Content-Length", str(len(body)).encode())]
    sig = {k.encode(): v.encode() for k, v in _signature(body).items()}
    sig[b"Content-Type"] = b"application/json"
    sig[name] = sig.get(name, b"x") + bad
    headers += list(sig.items())
    if rng.random() < 0.3:
        headers.append((b"Bad Name\xff", b"v"))
    return _head(b"POST", URL.encode(), headers) + body, "invalid UTF-8 or control bytes in headers"


def case_bad_body_bytes(rng):
    body = rng.choice(
        [
            b'{"type": "caf\xe9"}',
            b"\xff\xfe{}",
            b'{"a": "\xed\xa0\x80"}',
            b"\x00" * 10,
            b'{"a": "\x00"}',
            b'{"type": "x", "data": {"k": "\xc3\x28"}}',
        ]
    )
    return _post(body, signed=rng.random() < 0.7), "invalid UTF-8 or NUL in the body"


def case_bad_path(rng):
    target = rng.choice(
        [
            b"/api/webhooks/partners/\xff\xfe",
            b"/api/webhooks/partners/%ff%fe",
            b"/api/webhooks/partners/%zz",
            b"/api/webhooks/partners/hsi%00",
            b"/api/webhooks/partners/../../etc/passwd",
            b"//api//webhooks//partners//hsi",
            b"/api/webhooks/partners/" + b"a" * rng.choice([300, 5000]),
            b"/" + b"x" * rng.choice([8000, 9000, 20000]),
            b"/api/webhooks/partners/hsi?" + b"q=" + b"%" * 200,
            b"*",
            b"http://evil.example/api/webhooks/partners/hsi",
            b"/api/webhooks/partners/hsi#frag",
            b"/student/progress/\xc3\x28",
            b"/admin/dashboard?x=\xff",
            b"/certificates/" + b"f" * 32,
            b"/api/webhooks/partners/HSI",
            b"/api/webhooks/partners/hsi/",
        ]
    )
    method = rng.choice([b"GET", b"POST"])
    body = _json_body(rng) if method == b"POST" else b""
    headers = [
        (b"Host", b"127.0.0.1"),
        (b"Connection", b"close"),
        (b"Content-Type", b"application/json"),
        (b"Content-Length", str(len(body)).encode()),
    ]
    return _head(method, target, headers) + body, "odd paths and giant URLs"


def case_versions(rng):
    body = _json_body(rng)
    return rng.choice(
        [
            _head(
                b"POST",
                URL.encode(),
                [(b"Content-Type", b"application/json"), (b"Content-Length", str(len(body)).encode())],
                b"HTTP/1.0",
            )
            + body,
            _head(b"GET", b"/healthz", [], b"HTTP/1.0"),
            b"GET /healthz\r\n\r\n",  # HTTP/0.9
            _head(b"GET", b"/healthz", [(b"Host", b"x")], b"HTTP/9.9"),
            _head(b"GET", b"/healthz", [(b"Host", b"x")], b"HTTP/1.1.1"),
            _head(b"GET", b"/healthz", [(b"Host", b"x")], b"HTTPS/1.1"),
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            _head(b"POST", URL.encode(), [(b"Content-Length", str(len(body)).encode())]) + body,  # 1.1 without Host
            b"\r\n\r\n\r\n",
            b"GET /healthz HTTP/1.1\nHost: x\nConnection: close\n\n",  # bare LF
        ]
    ), "HTTP versions"


def case_methods(rng):
    method = rng.choice(
        [
            b"PUT",
            b"DELETE",
            b"PATCH",
            b"OPTIONS",
            b"TRACE",
            b"CONNECT",
            b"PROPFIND",
            b"BREW",
            b"get",
            b"G\xffT",
            b"GE T",
            b"X" * 300,
            b"HEAD",
            b"POST\x00",
        ]
    )
    body = _json_body(rng)
    headers = [
        (b"Host", b"127.0.0.1"),
        (b"Connection", b"close"),
        (b"Content-Type", b"application/json"),
        (b"Content-Length", str(len(body)).encode()),
    ]
    return _head(method, rng.choice([URL.encode(), b"/healthz", b"/"]), headers) + body, "odd methods"


def case_pipelining(rng):
    parts = []
    for _ in range(rng.randrange(2, 5)):
        body = _json_body(rng)
        headers = [
            (b"Host", b"127.0.0.1"),
            (b"Content-Type", b"application/json"),
            (b"Content-Length", str(len(body)).encode()),
        ]
        headers += [(k.encode(), v.encode()) for k, v in _signature(body).items()] if rng.random() < 0.5 else []
        parts.append(
            rng.choice(
                [
                    _head(b"POST", URL.encode(), headers) + body,
                    _head(b"GET", b"/healthz", [(b"Host", b"x")]),
                    b"GARBAGE \xff\r\n\r\n",
                ]
            )
        )
    parts.append(_head(b"GET", b"/healthz", [(b"Host", b"x"), (b"Connection", b"close")]))
    return b"".join(parts), "pipelined requests"


def case_json(rng):
    depth = rng.choice([100, 1000, 10000, 50000])
    body = rng.choice(
        [
            b"[" * depth + b"]" * depth,
            b'{"type": "course.completed", "data": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}",
            b'{"type": "x", "data": {"n": 1e999999}}',
            b'{"type": "x", "data": {"n": ' + b"9" * 5000 + b"}}",
            b'{"type": "x", "data": [' + b"1," * 100000 + b"1]}",
            b'{"type": "course.completed", "data": {"external_enrollment_id": "' + b"E" * 200000 + b'"}}',
            b'{"type": "course.completed", "type": "progress.updated", "data": {}}',
            b"",
            b"null",
            b"[]",
            b'"string"',
            b"{",
            b'{"type": "\\ud800"}',
            b'{"type": "x", "data": {"k": NaN}}',
        ]
    )
    return _post(body, signed=rng.random() < 0.7), "nested, huge or odd JSON"


def case_content_types(rng):
    body = _json_body(rng)
    ctype = rng.choice(
        [
            b"text/plain",
            b"application/json; charset=latin-1",
            b"application/json; charset=utf-16",
            b"multipart/form-data; boundary=x",
            b"application/x-www-form-urlencoded",
            b"",
            b"*/*",
            b"application/jsonx",
            b"APPLICATION/JSON",
            b"application/json;;;",
            b"\xff/\xfe",
        ]
    )
    headers = [
        (b"Host", b"127.0.0.1"),
        (b"Connection", b"close"),
        (b"Content-Type", ctype),
        (b"Content-Length", str(len(body)).encode()),
    ]
    headers += [(k.encode(), v.encode()) for k, v in _signature(body).items()]
    return _head(b"POST", URL.encode(), headers) + body, "wrong content types"


def case_signatures(rng):
    body = _json_body(rng)
    sig = _signature(body)
    field = rng.choice(["webhook-signature", "webhook-timestamp", "webhook-id", "all"])
    values = {
        "webhook-signature": [
            "v1,!!!notbase64",
            "v1",
            ",",
            "v1,",
            "v2," + sig["webhook-signature"][3:],
            " " * 50,
            "v1,A",
            "v1,====",
            "v1,YQ",
            sig["webhook-signature"] + " v1,%%%",
            "v1 ,abc",
            "v1," + base64.b64encode(b"x" * 32).decode(),
            "v1,\t",
            "\x00",
        ],
        "webhook-timestamp": [
            "abc",
            "-1",
            "99999999999999999999",
            "1e10",
            "1.5",
            "",
            " ",
            "0",
            "-99999999999999",
            str(int(time.time()) + 10**6),
            "9" * 400,
        ],
        "webhook-id": ["", " ", "x" * 300, "a.b.c", "\t"],
    }
    if field == "all":
        headers = {"webhook-signature": rng.choice(values["webhook-signature"])}
    else:
        headers = dict(sig)
        headers[field] = rng.choice(values[field])
        if rng.random() < 0.2:
            headers.pop(field)
    raw = [
        (b"Host", b"127.0.0.1"),
        (b"Connection", b"close"),
        (b"Content-Type", b"application/json"),
        (b"Content-Length", str(len(body)).encode()),
    ]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    if rng.random() < 0.3:  # signed with another partner's secret
        raw = [(k, v) for k, v in raw if not k.startswith(b"webhook-")]
        raw += [(k.encode(), v.encode()) for k, v in sign(body, SECRETS["certiport"]).items() if k != "content-type"]
    return _head(b"POST", URL.encode(), raw) + body, "bad signatures and timestamps"


def case_garbage(rng):
    return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000))), "random bytes"


def case_valid(rng):
    body = _json_body(rng)
    return _post(body), "well-formed, signed"


CASES = [
    case_content_length,
    case_content_length_mismatch,
    case_duplicate_content_length,
    case_chunked_malformed,
    case_chunked_forms,
    case_chunked_huge,
    case_cl_and_te,
    case_huge_headers,
    case_bad_header_bytes,
    case_bad_body_bytes,
    case_bad_path,
    case_versions,
    case_methods,
    case_pipelining,
    case_json,
    case_content_types,
    case_signatures,
    case_garbage,
    case_valid,
]


# --- sending -------------------------------------------------------------------------------------


def exchange(port: int, payload: bytes, half_close: bool = True, timeout: float = 10.0) -> tuple[list[int], str]:
    """Send payload on a fresh connection and read until the server closes. With half_close our
    side is shut after sending (the server sees the end of what we send at once: fast, and a
    truncated body really ends); without it (nginx treats a half-close as the client giving up),
    reading stops 0.5 s after the last byte received. Returns the answers' status codes and how
    the exchange ended."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        ended = "closed"
        try:
            s.sendall(payload)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:  # reset, broken pipe, or already closed by the server
            ended = "reset while sending"
        answer = b""
        try:
            while True:
                if not half_close:
                    s.settimeout(max(0.05, min(0.5 if answer else timeout, deadline - time.monotonic())))
                data = s.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            ended = "reset"
        except TimeoutError:
            ended = "idle" if answer else "timeout"
    codes = [
        int(m.group(1))
        for m in STATUS_LINE.finditer(answer)
        if m.start() == 0 or answer[m.start() - 2 : m.start()] in (b"\r\n", b"\n\n")
    ]
    return codes, ended


def _protocol_5xx(code: int, payload: bytes) -> bool:
    """The front server's protocol answers (RFC 9112): 501 for a transfer coding it does not
    implement, 505 for an HTTP major version it does not speak — before the app sees anything."""
    head = payload.split(b"\r\n\r\n", 1)[0]
    codings = [value.strip(b" \t").lower() for value in TRANSFER_ENCODING.findall(head)]  # OWS only
    unknown_coding = len(codings) > 1 or any(coding != b"chunked" for coding in codings)
    return (code == 501 and unknown_coding) or (code == 505 and bool(UNKNOWN_VERSION.match(head)))


def fuzz(port: int, count: int, seed: int, half_close: bool = True, parallel: int = 1) -> dict:
    rng = random.Random(seed)
    cases = [rng.choice(CASES)(rng) for _ in range(count)]  # generated in order: deterministic
    codes: Counter = Counter()
    families: Counter = Counter(family for _, family in cases)
    no_answer: Counter = Counter()
    five: list[tuple[str, bytes, list[int]]] = []
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        answers = pool.map(lambda case: exchange(port, case[0], half_close), cases)
        for (payload, family), (got, ended) in zip(cases, answers, strict=True):
            if not got:
                no_answer[f"{family} ({ended})"] += 1
            for code in got:
                codes[f"{code // 100}xx"] += 1
                codes[code] += 1
                if _protocol_5xx(code, payload):
                    codes["protocol 5xx"] += 1  # counted apart, see _protocol_5xx
                elif code >= 500:
                    five.append((family, payload[:300], got))
    return {"codes": codes, "families": families, "no_answer": no_answer, "five": five}


def _still_answers(port: int) -> None:
    assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    body = event("custom.after_fuzz")
    r = requests.post(f"http://127.0.0.1:{port}{URL}", data=body, headers=sign(body, SECRETS["hsi"]), timeout=5)
    assert (r.status_code, r.json()["status"]) == (200, "ignored")


def _report(where: str, result: dict, count: int, seed: int) -> str:
    codes = result["codes"]
    by_class = ", ".join(f"{k} {codes[k]}" for k in ("2xx", "3xx", "4xx", "5xx"))
    detail = ", ".join(f"{k}: {v}" for k, v in sorted((k, v) for k, v in codes.items() if isinstance(k, int)))
    closed = sum(result["no_answer"].values())
    return (
        f"\nraw-socket fuzz via {where}: {count} requests (seed {seed}) in {len(result['families'])} families;"
        f" answers: {by_class} ({detail}); of the 5xx, the protocol's 501/505 (unknown transfer coding or"
        f" HTTP version): {codes['protocol 5xx']}, any other: {len(result['five'])};"
        f" closed without an answer: {closed} {dict(result['no_answer'])}"
    )


def test_raw_malformed_requests_never_get_a_5xx_from_gunicorn(upstream):
    port, log = upstream
    result = fuzz(port, FUZZ_RAW, SEED)
    print(_report("gunicorn", result, FUZZ_RAW, SEED))
    assert result["five"] == [], result["five"][:5]
    assert result["codes"]["5xx"] == result["codes"]["protocol 5xx"]
    assert sum(result["families"].values()) == FUZZ_RAW >= 3000 or "FUZZ_RAW" in os.environ
    _still_answers(port)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[text.find("Traceback") - 500 :][:3000]


def test_raw_malformed_requests_never_get_a_5xx_through_nginx(upstream, proxy):
    port, run_dir = proxy
    result = fuzz(port, FUZZ_RAW_NGINX, SEED + 1, half_close=False, parallel=16)
    print(_report("nginx -> gunicorn", result, FUZZ_RAW_NGINX, SEED + 1))
    assert result["five"] == [], result["five"][:5]
    assert result["codes"]["5xx"] == result["codes"]["protocol 5xx"]
    assert result["codes"]["2xx"] > 0, "well-formed requests get through nginx"
    _still_answers(port)
    text = upstream[1].read_text(errors="replace")
    assert "Traceback" not in text, text[text.find("Traceback") - 500 :][:3000]


# --- the rule behind it, through the test client -----------------------------------------------


class InvalidChunkSize(OSError):
    """As gunicorn.http.errors.InvalidChunkSize (an IOError), without importing the server."""


class _Unreadable:
    """A wsgi.input that fails as gunicorn's does on a malformed chunked body."""

    def read(self, *args):
        raise InvalidChunkSize("Invalid chunk size: b'zz'")

    readline = read


def _unreadable_post(client, path: str, content_type: str):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    environ = EnvironBuilder(path, method="POST", data=b"x", headers={"content-type": content_type}).get_environ()
    del environ["CONTENT_LENGTH"]
    environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True, "wsgi.input": _Unreadable()})
    return client.open(Request(environ))


@pytest.mark.parametrize(
    "path, content_type",
    [(URL, "application/json"), ("/logout", "application/x-www-form-urlencoded")],
    ids=["webhook", "form"],
)
def test_a_body_the_server_cannot_read_is_a_400_not_a_500(client, path, content_type, caplog):
    r = _unreadable_post(client, path, content_type)
    assert r.status_code == 400, r.get_data(as_text=True)[:500]
    if path == URL:
        assert r.get_json()["status"] == "malformed"
    assert not [rec for rec in caplog.records if rec.exc_info], "nothing is logged as a traceback"
