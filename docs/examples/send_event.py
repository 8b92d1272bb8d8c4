"""Send one signed partner event to POST /api/webhooks/partners/<partner> and print the answer.

The body is signed per the Standard Webhooks spec (webhook-id, webhook-timestamp, webhook-signature)
and the exact signed bytes are sent. Exit code: 0 on a 2xx answer, 1 otherwise (2: bad arguments).
See docs/partners.md.

Examples:
  export PARTNER_WEBHOOK_SECRET=whsec_...
  python docs/examples/send_event.py --external-enrollment-id HSI-DEMO-CARA --type progress.updated --percent 50
  python docs/examples/send_event.py --partner certiport --data '{"external_enrollment_id": "CP-DEMO-BEN"}'
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from datetime import UTC, datetime

import requests
from standardwebhooks.webhooks import Webhook

# data fields that also have a convenience flag (--external-enrollment-id, --percent, ...)
NUMBER_FIELDS = ["score", "percent"]
FIELDS = "external_enrollment_id completed_at reference launch_url certificate_id certificate_url issued_at".split()
FIELDS += NUMBER_FIELDS


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="server base URL (default: %(default)s)")
    parser.add_argument("--partner", default="hsi", help="hsi, certiport, careersafe, jri or milady (default: hsi)")
    parser.add_argument("--secret", help="whsec_... secret (default: $PARTNER_WEBHOOK_SECRET)")
    parser.add_argument("--type", default="course.completed", help="event type (default: %(default)s)")
    parser.add_argument("--data", default="{}", help="the data object as a JSON string; the flags below add to it")
    parser.add_argument("--id", help="webhook-id; reuse it only to retry the same message (default: a new one)")
    for field in FIELDS:
        kind = float if field in NUMBER_FIELDS else str
        parser.add_argument(f"--{field.replace('_', '-')}", dest=field, type=kind, metavar="V", help=f"data.{field}")
    args = parser.parse_args(argv)
    args.secret = args.secret or os.environ.get("PARTNER_WEBHOOK_SECRET")
    if not args.secret:
        parser.error("no secret: pass --secret or set PARTNER_WEBHOOK_SECRET")
    try:
        args.data = json.loads(args.data)
    except json.JSONDecodeError as exc:
        parser.error(f"--data is not valid JSON: {exc}")
    if not isinstance(args.data, dict):
        parser.error("--data must be a JSON object")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = {**args.data, **{f: getattr(args, f) for f in FIELDS if getattr(args, f) is not None}}
    now = datetime.now(tz=UTC)
    body = json.dumps({"type": args.type, "timestamp": now.isoformat(), "data": data})
    msg_id = args.id or f"msg_{uuid.uuid4().hex}"
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(args.secret).sign(msg_id, now, body),
    }
    url = f"{args.url.rstrip('/')}/api/webhooks/partners/{args.partner}"
    try:  # send the exact bytes that were signed
        response = requests.post(url, data=body.encode("utf-8"), headers=headers, timeout=30)
    except requests.RequestException as exc:
        print(f"request failed: {exc}", file=sys.stderr)
        return 1
    print(response.status_code)
    print(response.text.strip())
    return 0 if 200 <= response.status_code < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
