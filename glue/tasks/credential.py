"""`credential`: sign a certificate's Open Badges 3.0 credential (glue.credentials) and keep it
(`store_credential`, which also finishes the job). Idempotent: the credential row and its status
list index are allocated once in SQL (`credential_to_sign`); when two workers sign the same one,
the first stored wins. Without a signing key (CREDENTIAL_SIGNING_KEY unset) the job finishes
and nothing is issued."""

from __future__ import annotations

import logging

from . import TaskContext, TaskError, task

log = logging.getLogger(__name__)


@task("credential")
def credential(ctx: TaskContext, msg_id: int, message: dict) -> str:
    from ..credentials import app_issuer, build_credential, sign

    certificate_id = message["certificate_id"]
    issuer = app_issuer(ctx.app)
    if issuer.key is None:
        ctx.call("store_credential", p_msg_id=msg_id, p_certificate_id=certificate_id, p_jwt=None, p_kid=None)
        log.warning("CREDENTIAL_SIGNING_KEY is not set: no Open Badges credential for certificate %s", certificate_id)
        return f"credential for {certificate_id} not issued: CREDENTIAL_SIGNING_KEY is not set"
    data = ctx.call("credential_to_sign", p_certificate_id=certificate_id)
    if data is None:
        raise TaskError(f"certificate {certificate_id} no longer exists", retryable=False)
    token = data.get("jwt") or sign(build_credential(data, issuer), issuer)
    kept = ctx.call("store_credential", p_msg_id=msg_id, p_certificate_id=certificate_id, p_jwt=token, p_kid=issuer.kid)
    return f"credential {data['credential_id']} {'stored' if kept == token else 'already stored'}"
