-- The email left (status sent) or was deliberately not sent (skipped: no SMTP configured):
-- record it and finish the job, in one transaction.
create or replace function public.complete_email(
  p_msg_id bigint, p_send_id bigint, p_subject text, p_status text default 'sent')
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  update public.email_sends set status = p_status, subject = p_subject, sent_at = pg_catalog.now()
  where id = p_send_id;
  perform queue.archive('email', p_msg_id);
end
$$;
comment on function public.complete_email(bigint, bigint, text, text) is 'Worker: marks an email send sent (or skipped) and completes its job.';
revoke all on function public.complete_email(bigint, bigint, text, text) from public, anon, authenticated;
grant execute on function public.complete_email(bigint, bigint, text, text) to service_role;
