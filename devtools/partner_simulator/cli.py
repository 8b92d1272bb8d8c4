"""The command line of the partner simulator (`scripts/partner-simulator`, `python -m
devtools.partner_simulator`): options, the webhook secrets from the environment, serving until
SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from . import __doc__ as PACKAGE_DOC
from .app import SimulatorServer
from .database import Database
from .state import PARTNERS, SECRET_PREFIX, Settings, Simulator, api_keys_from_env, signing_secrets_from_env

# --- command line -------------------------------------------------------------------------------


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be from 0 to 1")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="partner-simulator", description=PACKAGE_DOC, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port",
        type=non_negative_int,
        default=8099,
        help="port to listen on, 0 for any free one (default: %(default)s)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument(
        "--app-url",
        default="http://127.0.0.1:5000",
        help="our app's base URL, where webhooks go (default: %(default)s)",
    )
    parser.add_argument("--public-url", help="base URL for launch and certificate links (default: http://HOST:PORT)")
    parser.add_argument(
        "--fail-rate",
        type=fraction,
        default=0.0,
        help="probability (0..1) that an enrollment call answers 503 (default: 0)",
    )
    parser.add_argument(
        "--latency-ms", type=non_negative_int, default=0, help="delay before every enrollment answer (default: 0)"
    )
    parser.add_argument(
        "--auto-complete-seconds",
        type=positive_float,
        metavar="N",
        help="complete each new enrollment (course.completed + certificate.issued) N seconds after its creation "
        "(default: off)",
    )
    parser.add_argument(
        "--webhook-retries",
        type=non_negative_int,
        default=5,
        help="retries per webhook on connection errors or 5xx (default: %(default)s)",
    )
    parser.add_argument(
        "--webhook-backoff-ms",
        type=non_negative_int,
        default=200,
        help="first retry delay, doubled each time (default: %(default)s)",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        metavar="PATH",
        help="keep the enrollments in this JSON file, so a restart forgets none (default: in memory only)",
    )
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="our app's database: list and complete the steps linked at the partners there too (default: none)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signing = signing_secrets_from_env()
    for slug, secret in signing.items():
        try:
            Webhook(secret)
        except Exception as exc:
            print(
                f"partner simulator: the webhook secret for {slug} is not a valid whsec_ secret ({exc})",
                file=sys.stderr,
            )
            return 2
    try:
        server = SimulatorServer((args.host, args.port), None, quiet=args.quiet)
    except OSError as exc:
        print(f"partner simulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    port = server.server_address[1]
    link_host = "127.0.0.1" if args.host in ("", "0.0.0.0") else args.host
    server.sim = Simulator(
        app_url=args.app_url,
        base_url=args.public_url or f"http://{link_host}:{port}",
        signing_secrets=signing,
        api_keys=api_keys_from_env(),
        settings=Settings(fail_rate=args.fail_rate, latency_ms=args.latency_ms),
        webhook_retries=args.webhook_retries,
        webhook_backoff=args.webhook_backoff_ms / 1000,
        auto_complete_seconds=args.auto_complete_seconds,
        log=lambda message: sys.stderr.write(f"[partner-sim] {message}\n"),
        state_file=args.state_file,
        database=Database(args.database_url) if args.database_url else None,
    )
    missing = [slug for slug in PARTNERS if slug not in signing]
    if missing:
        sys.stderr.write(
            f"[partner-sim] no webhook secret for {', '.join(missing)}: /_complete and /_progress will answer 500 "
            f"for them (set {SECRET_PREFIX} or {SECRET_PREFIX}_<SLUG>)\n"
        )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="serve", daemon=True)
    serving.start()
    print(f"partner simulator listening on http://{args.host}:{port}", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    server.sim.stop()
    sys.stderr.write("[partner-sim] stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
