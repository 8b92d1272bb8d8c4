"""`partner_enrollment`: enroll the student at the partner (glue.partners), then one SQL call,
`record_partner_enrollment`, stores the partner's ids and finishes the job."""

from __future__ import annotations

from .. import partners
from . import TaskContext, TaskError, task


@task("partner_enrollment")
def partner_enrollment(ctx: TaskContext, msg_id: int, message: dict) -> str:
    try:
        enrollment = partners.enroll_rest(message)
    except partners.PartnerError as exc:
        raise TaskError(str(exc), exc.retryable) from exc
    result = ctx.call(
        "record_partner_enrollment",
        p_msg_id=msg_id,
        p_external_enrollment_id=enrollment.external_enrollment_id,
        p_launch_url=enrollment.launch_url,
    )
    return f"{result} {message['partner_slug']} {enrollment.external_enrollment_id}"
