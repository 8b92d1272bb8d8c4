-- What a dead letter means, per queue: a partner enrollment that never worked fails its step
-- (with the error) and alerts the admins, whose retry re-queues it; a dead email or certificate
-- job alerts the admins (an admin_alert email is not re-alerted, to avoid a loop).
create or replace function private.on_dead_job(p_queue text, p_message jsonb, p_error text, p_attempts integer)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_step_id uuid := (p_message ->> 'step_id')::uuid;
begin
  if p_queue = 'partner_enrollment' then
    perform private.set_audit_context(
      pg_catalog.format('partner enrollment failed after %s attempt(s): %s', p_attempts, p_error), 'worker');
    update public.enrollment_steps set status = 'failed', error_message = p_error
      where id = v_step_id and status = 'in_progress';
    perform private.raise_admin_alert('partner_enrollment_failed',
      'partner_enrollment_failed:' || v_step_id || ':' || (p_message ->> 'idempotency_key'),
      pg_catalog.format('Enrolling the student at %s failed after %s attempt(s): %s',
                        p_message ->> 'partner_name', p_attempts, p_error),
      v_step_id);
  elsif p_queue = 'email' and p_message ->> 'template' = 'admin_alert' then
    null;
  else
    perform private.raise_admin_alert(p_queue || '_job_failed',
      p_queue || '_job_failed:' || pg_catalog.md5(p_message::text),
      pg_catalog.format('A %s job failed after %s attempt(s): %s', p_queue, p_attempts, p_error),
      v_step_id);
  end if;
end
$$;
comment on function private.on_dead_job(text, jsonb, text, integer) is 'Dead-letter consequences per queue: a failed partner enrollment fails its step and alerts admins.';
revoke all on function private.on_dead_job(text, jsonb, text, integer) from public, anon, authenticated;
grant execute on function private.on_dead_job(text, jsonb, text, integer) to service_role;
