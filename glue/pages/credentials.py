"""Open Badges credentials on the site (glue.credentials does the format and the crypto):

- `/.well-known/jwks.json`: the issuer's public keys (current and retired), `/issuer`: its Profile;
- `/credentials/status/1`: the signed Bitstring Status List credential (revocation);
- `/certificates/<code>/credential.jwt|.json`: a certificate's credential, for whoever holds the
  code printed on it (like the verify page), and `/student/credentials/<id>.jwt|.json` for the
  signed-in student (row level security: her own);
- the template globals `credential_for_code(code)` and `student_credential(certificate_id)` that
  the verify page and the progress page include (`_credential.html`): the credential checked by
  its signature against the published keys and its bit in the published status list, not by the
  database row.
"""

from __future__ import annotations

import json
import logging

from flask import Response, abort, current_app, g

from ..credentials import Verification, app_issuer, signed_status_list, unverified_payload, verify_credential
from ..db import DatabaseUnavailable
from . import bp, user_rpc
from .auth import login_required
from .student import bp as student_bp

log = logging.getLogger(__name__)

JWT_TYPE = "application/vc+jwt"


def _status_list_token() -> str:
    """The current status list credential, signed (once per request)."""
    if "credential_status_list" not in g:
        issuer = app_issuer(current_app)
        g.credential_status_list = signed_status_list(
            issuer, current_app.extensions["rpc"].call("credential_status_list")
        )
    return g.credential_status_list


def check(token: str) -> Verification:
    """Verify a credential as any verifier would: the published JWKS and status list."""
    issuer = app_issuer(current_app)

    def status_list(url: str) -> str:
        if url != issuer.status_list_url:
            raise ValueError(f"not this site's status list ({url})")
        return _status_list_token()

    return verify_credential(token, issuer.jwks(), status_list)


@bp.get("/.well-known/jwks.json")
def credential_jwks():
    """The public keys that verify this issuer's credentials (current first, then retired)."""
    response = current_app.response_class(
        json.dumps(app_issuer(current_app).jwks()), mimetype="application/jwk-set+json"
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/issuer")
def credential_issuer_profile():
    """The issuer's Open Badges Profile (the `issuer.id` of every credential)."""
    issuer = app_issuer(current_app)
    response = current_app.response_class(
        json.dumps(
            {
                **issuer.profile(),
                "@context": [
                    "https://www.w3.org/ns/credentials/v2",
                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                ],
            }
        ),
        mimetype="application/json",
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/credentials/status/1")
def credential_status_list():
    """The revocation Bitstring Status List credential, signed (VC-JWT)."""
    if app_issuer(current_app).key is None:
        abort(404, description="This site issues no credentials (no signing key is configured).")
    try:
        token = _status_list_token()
    except DatabaseUnavailable:
        return Response("status list temporarily unavailable", 503, {"Retry-After": "5"}, mimetype="text/plain")
    response = Response(token, mimetype=JWT_TYPE)
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _download(token: str, name: str, kind: str, private: bool) -> Response:
    if kind == "json":
        body, mimetype = json.dumps(unverified_payload(token), indent=2, ensure_ascii=False) + "\n", "application/json"
    else:
        body, mimetype = token, JWT_TYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{kind}"',
            "Cache-Control": "private, no-store" if private else "no-cache",
        },
    )


@bp.get("/certificates/<code>/credential.<any(jwt, json):kind>")
def certificate_credential(code: str, kind: str):
    """A certificate's Open Badges credential, by the code printed on the certificate."""
    try:
        found = current_app.extensions["rpc"].call("credential_by_code", p_code=code.lower()[:64])
    except DatabaseUnavailable:
        return Response("temporarily unavailable", 503, {"Retry-After": "5"}, mimetype="text/plain")
    if not found or not found.get("jwt"):
        abort(404, description="There is no signed credential for this code (yet).")
    return _download(found["jwt"], f"credential-{code.lower()[:8]}", kind, private=False)


@student_bp.get("/credentials/<uuid:certificate_id>.<any(jwt, json):kind>")
@login_required
def download_credential(certificate_id, kind: str):
    """The signed-in student's credential (RLS: someone else's is a 404 like an unknown one)."""
    token = _my_credentials().get(str(certificate_id))
    if token is None:
        abort(404, description="There is no credential at this address for your account.")
    return _download(token, f"credential-{certificate_id}", kind, private=True)


def _my_credentials() -> dict[str, str]:
    if "my_credentials" not in g:
        g.my_credentials = {str(r["certificate_id"]): r["jwt"] for r in user_rpc().call("my_credentials")}
    return g.my_credentials


def _view(token: str | None, waived: list[str] | None = None) -> dict:
    if token is None:
        return {"token": None, "waived_steps": waived or []}
    try:
        result = check(token)
    except DatabaseUnavailable:
        return {"token": token, "waived_steps": waived or [], "unavailable": True}
    return {"token": token, "waived_steps": waived or [], "result": result}


@bp.app_template_global()
def credential_for_code(code: str) -> dict | None:
    """For the verify page: the certificate's credential checked by itself, and its waived steps."""
    try:
        found = current_app.extensions["rpc"].call("credential_by_code", p_code=str(code).lower()[:64])
    except DatabaseUnavailable:
        return {"token": None, "waived_steps": [], "unavailable": True}
    if not found:
        return None
    view = _view(found.get("jwt"), found.get("waived_steps"))
    view["base"] = f"/certificates/{str(code).lower()}/credential"
    return view


@bp.app_template_global()
def student_credential(certificate_id: str) -> dict | None:
    """For the progress page: the student's own credential of a certificate, checked by itself."""
    try:
        token = _my_credentials().get(str(certificate_id))
    except DatabaseUnavailable:
        return {"token": None, "waived_steps": [], "unavailable": True}
    view = _view(token)
    view["base"] = f"/student/credentials/{certificate_id}"
    return view
