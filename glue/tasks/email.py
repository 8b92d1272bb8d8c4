"""`email`: `claim_email` records the send (once per event), render (glue.mailer), send by SMTP,
`complete_email` finishes the job."""

from __future__ import annotations

from . import TaskContext, TaskError, task


@task("email")
def email(ctx: TaskContext, msg_id: int, message: dict) -> str:
    from ..mailer import MailError, render_email

    claim = ctx.call("claim_email", p_msg_id=msg_id)
    if claim is None:
        return "already sent"
    subject, text, html = render_email(claim["template"], email_context(ctx, claim))
    mailer = ctx.mailer()
    status = "skipped"
    if mailer is not None:
        try:
            mailer.send(claim["to"], subject, text, html, message_id=claim["message_id"])
        except MailError as exc:
            raise TaskError(f"SMTP: {exc}", retryable=not exc.permanent) from exc
        status = "sent"
    ctx.call("complete_email", p_msg_id=msg_id, p_send_id=claim["send_id"], p_subject=subject, p_status=status)
    return f"{claim['template']} to {claim['to']} {status}"


def email_context(ctx: TaskContext, claim: dict) -> dict:
    """The template's context: what SQL queued, plus links to this site's pages (from the routes)."""
    context = dict(claim["context"] or {})
    context.setdefault("student_name", claim.get("to_name"))
    context.setdefault("admin_name", claim.get("to_name"))
    context.setdefault("launch_url", None)
    context["progress_url"] = ctx.url("student.progress")
    context["dashboard_url"] = ctx.url("admin.dashboard")
    if context.get("certificate_id"):
        context["certificate_url"] = ctx.url("student.download_certificate", certificate_id=context["certificate_id"])
    if context.get("verification_code"):
        context["verification_url"] = ctx.url("pages.verify_certificate", code=context["verification_code"])
    return context
