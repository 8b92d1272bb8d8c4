"""`certificate`: render the PDF (glue.certificate_pdf); `store_certificate_pdf` keeps it and
queues the completion email."""

from __future__ import annotations

from . import TaskContext, TaskError, task


@task("certificate")
def certificate(ctx: TaskContext, msg_id: int, message: dict) -> str:
    from ..certificate_pdf import render_certificate_pdf

    certificate_id = message["certificate_id"]
    data = ctx.call("get_certificate_data", p_certificate_id=certificate_id)
    if data is None:
        raise TaskError(f"certificate {certificate_id} no longer exists", retryable=False)
    data["verification_url"] = ctx.url("pages.verify_certificate", code=data["verification_code"])
    pdf = render_certificate_pdf(data)
    ctx.call("store_certificate_pdf", p_msg_id=msg_id, p_certificate_id=certificate_id, p_pdf=pdf)
    return f"certificate {data['verification_code'][:8]}… stored ({len(pdf)} bytes)"
