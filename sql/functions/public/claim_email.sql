-- Before sending an email job: record the send (once per dedupe key) and hand the worker what
-- to render. If that email was already sent (a retried job after a crash between SMTP and
-- commit is the only way), finish the job and return null: the email is not sent twice.
create or replace function public.claim_email(p_msg_id bigint)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_job queue.jobs;
  v_send public.email_sends;
begin
  select j.* into v_job from queue.jobs j where j.msg_id = p_msg_id and j.queue_name = 'email';
  if not found then
    return null;
  end if;
  insert into public.email_sends (dedupe_key, msg_id, template, to_address, user_id, message_id)
  values (coalesce(v_job.dedupe_key, 'msg:' || p_msg_id), p_msg_id, v_job.message ->> 'template',
          v_job.message ->> 'to', (v_job.message ->> 'user_id')::uuid,
          '<' || pg_catalog.md5(coalesce(v_job.dedupe_key, 'msg:' || p_msg_id)) || '@partnerseq>')
  on conflict (dedupe_key) do update set attempts = public.email_sends.attempts + 1
  returning * into v_send;
  if v_send.status = 'sent' then
    perform queue.archive('email', p_msg_id);
    return null;
  end if;
  return pg_catalog.jsonb_build_object('send_id', v_send.id, 'template', v_send.template,
    'to', v_send.to_address, 'to_name', v_job.message ->> 'to_name', 'message_id', v_send.message_id,
    'context', v_job.message -> 'context');
end
$$;
comment on function public.claim_email(bigint) is 'Worker: records an email send (once per event) and returns what to render, or null when already sent.';
revoke all on function public.claim_email(bigint) from public, anon, authenticated;
grant execute on function public.claim_email(bigint) to service_role;
