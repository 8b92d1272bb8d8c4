-- Admin override on a dead letter (a job archived as dead after its last attempt): 'retry' sends
-- its message again as a new job (the worker runs it as if new) and removes the dead letter;
-- 'discard' removes the dead letter. Both recorded in admin_actions (target: the job id). With
-- p_reason null nothing changes and the answer is the preview for the confirmation page:
-- {job, action, allowed, why_not, effects}. A dead partner enrollment is retried through its
-- step (admin_retry_step), which also restarts the step: PS003 here. PS080 unknown action,
-- PS083 no such dead job.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_dead_job (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_dead_job(p_msg_id bigint, p_action text, p_reason text default null)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_job jsonb;
  v_queue text;
  v_message jsonb;
  v_new bigint;
  v_why text;
begin
  perform private.admin_caller();
  if p_action is null or p_action not in ('retry', 'discard') then
    raise exception 'no job action %', pg_catalog.left(coalesce(p_action, 'null'), 40) using errcode = 'PS080';
  end if;
  select a.queue_name, a.message into v_queue, v_message
  from queue.jobs_archive a where a.msg_id = p_msg_id and a.outcome = 'dead'
  for update;
  if not found then
    raise exception 'job % is not a dead letter (or is gone)', p_msg_id using errcode = 'PS083';
  end if;
  v_job := private.admin_list('jobs', null, null, 'dead', '#' || p_msg_id, null, 1, 1) -> 'rows' -> 0;
  if p_action = 'retry' and v_queue = 'partner_enrollment' then
    v_why := 'a dead partner enrollment is retried from its step (Retry on the student''s page), which restarts the step too';
  end if;
  if p_reason is null then
    return pg_catalog.jsonb_build_object('job', v_job, 'action', p_action, 'allowed', v_why is null, 'why_not', v_why,
      'effects', case p_action
        when 'retry' then pg_catalog.jsonb_build_array(
          pg_catalog.format('The %s job is sent again as a new job; the worker runs it within seconds, with a fresh set of attempts.', v_queue),
          'The dead letter is removed from this list; the audit trail keeps your reason.')
        else pg_catalog.jsonb_build_array(
          'The dead letter is removed; nothing is sent or retried.',
          'The audit trail keeps your reason and the job id.') end);
  end if;
  perform private.authorize_step_override(p_reason);
  if v_why is not null then
    raise exception '%', v_why using errcode = 'PS003';
  end if;
  perform private.record_admin_action(p_action || '_dead_job', p_msg_id::text, p_reason);
  if p_action = 'retry' then
    v_new := queue.send(v_queue, v_message);
  end if;
  delete from queue.jobs_archive a where a.msg_id = p_msg_id;
  return pg_catalog.jsonb_build_object('job', v_job, 'action', p_action, 'new_msg_id', v_new);
end
$$;
comment on function private.admin_dead_job(bigint, text, text) is 'Body of public.admin_dead_job (security definer, outside the exposed schema): Admin override on a dead letter: retry (send again) or discard, audited; without a reason, the preview. 42501, PS003, PS007, PS080, PS083.';
revoke all on function private.admin_dead_job(bigint, text, text) from public, anon, authenticated;
grant execute on function private.admin_dead_job(bigint, text, text) to authenticated, service_role;
