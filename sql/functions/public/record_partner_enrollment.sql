-- The worker enrolled the student at the partner: store the partner's enrollment id and launch
-- URL on the step (waiting webhook events apply, the student's "step started" email is queued)
-- and finish the job, in one transaction. If the partner's answer cannot be stored (the id
-- belongs to another step), the job dies and the step fails with that reason.
create or replace function public.record_partner_enrollment(
  p_msg_id bigint, p_external_enrollment_id text, p_launch_url text default null)
returns text
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_job queue.jobs;
  v_error text;
begin
  select j.* into v_job from queue.jobs j where j.msg_id = p_msg_id and j.queue_name = 'partner_enrollment';
  if not found then
    return 'gone';
  end if;
  v_error := private.link_step((v_job.message ->> 'step_id')::uuid, p_external_enrollment_id, p_launch_url);
  if v_error is not null then
    perform queue.fail('partner_enrollment', p_msg_id, 'the partner''s answer was refused: ' || v_error, false);
    return 'refused: ' || v_error;
  end if;
  perform queue.archive('partner_enrollment', p_msg_id);
  return 'linked';
end
$$;
comment on function public.record_partner_enrollment(bigint, text, text) is 'Worker: stores the partner''s enrollment id and launch URL from an enrollment call and completes the job. Returns linked, gone or refused: <why>.';
revoke all on function public.record_partner_enrollment(bigint, text, text) from public, anon, authenticated;
grant execute on function public.record_partner_enrollment(bigint, text, text) to service_role;
