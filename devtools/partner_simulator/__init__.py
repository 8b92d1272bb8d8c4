"""A fake of every training partner at once (hsi, certiport, careersafe, jri, milady), over real HTTP.

It answers the generic REST enrollment API that our worker calls, and it plays the partner's side of
the webhook contract (docs/partners.md): on request it sends correctly signed `course.completed`,
`certificate.issued` and `progress.updated` events to the app. Used by `make run` and by tests.

The package: `state` (the enrollments, fault settings and webhooks, HTTP-free; kept in a JSON
file with --state-file so a restart forgets nothing), `database` (the partner steps our database
holds, with --database-url), `app` (the HTTP server and its pages) and `cli` (the command line).

Usage:
  scripts/partner-simulator --port 8099 --app-url http://127.0.0.1:5000
  scripts/partner-simulator --state-file .run/partner-simulator.json   # enrollments survive a restart
  scripts/partner-simulator --database-url postgresql://...            # also list/complete the steps linked
                                                                       # at the partners in our database
  scripts/partner-simulator --fail-rate 0.2 --latency-ms 150      # a flaky, slow partner
  scripts/partner-simulator --auto-complete-seconds 30            # completes every course after 30 s

Environment (read once at start, the same variables as the app):
  PARTNER_WEBHOOK_SECRET_<SLUG>   whsec_... secret(s) used to sign that partner's webhooks; with several
                                  space-separated secrets (a rotation) the LAST one signs
  PARTNER_WEBHOOK_SECRET          the shared fallback for partners without their own variable
  PARTNER_API_KEY_<SLUG>          when set, enrollment calls to that partner need `Authorization: Bearer <key>`

HTTP API (JSON unless noted):
  POST /partners/<slug>/enrollments       enroll; needs `Idempotency-Key`; body {"reference", "student", "program"}
                                          201 {"external_enrollment_id", "launch_url", "reference"}; a repeat
                                          with the same key at the same partner: 200 and the identical body.
                                          400 no key or bad JSON, 401 bad API key, 404 unknown partner,
                                          422 no reference, 503 injected failure or partner down.
  GET  /partners/<slug>/launch/<id>       HTML "Training at <Partner>" (the launch link)
  GET  /partners/<slug>/certificates/<id> HTML certificate page (certificate_url points here)
  GET|POST /_control                      fault settings {"fail_rate": 0..1, "latency_ms": int, "down": bool}
  GET  /_stats                            counters and every enrollment
  POST /_reset                            forget every enrollment and counter; settings back to the CLI values
  POST /_complete                         {"partner", "external_enrollment_id"} or {"reference"} (an enrollment
                                          of this simulator, or a step linked at that partner in the database), optional
                                          "certificate" (default true) and "score": sends course.completed (and
                                          certificate.issued) to the app. 200 {"deliveries": [...]}, 404 unknown
                                          enrollment, 502 the app could not be reached or kept answering 5xx.
  POST /_progress                         {"partner", "external_enrollment_id", "percent"}: sends progress.updated
  GET  /                                  HTML page: every enrollment at the partners, from our database
                                          (--database-url) and from this simulator's own state, each with
                                          a "Complete course" button while it is not completed
  GET  /healthz                           {"status": "ok"}

Fault injection applies to the enrollment endpoint only. It sleeps `latency_ms` first, then answers 503
{"error": "simulated failure"} with probability `fail_rate`, or 503 {"error": "partner is down"} while `down`
is true (the connection stays open: a clean 503 is easier to assert on than a reset). Either way nothing is
created, so a retry with the same Idempotency-Key creates the enrollment exactly once.
"""

from .state import PARTNERS, Enrollment, RequestError, Settings, Simulator

__all__ = ["PARTNERS", "Enrollment", "RequestError", "Settings", "Simulator"]
