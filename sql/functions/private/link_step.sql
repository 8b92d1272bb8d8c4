-- Link a step to the partner's enrollment (its external id and launch URL). The one
-- implementation shared by the enrollment.created webhook, the worker's partner enrollment call
-- and the admin entering a partner's id. Returns null on success, else why it was refused:
-- callers decide whether that is an exception (admin) or a rejected event (webhook).
-- Linking makes waiting webhook events for that id apply (trigger on enrollment_steps) and, for
-- the step in progress, queues the student's "step started" email with the launch link.
create or replace function private.link_step(
  p_step_id uuid, p_external_enrollment_id text, p_launch_url text default null)
returns text
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
  v_context jsonb;
begin
  if p_external_enrollment_id is null or pg_catalog.length(p_external_enrollment_id) not between 1 and 200 then
    return 'the partner enrollment id must be 1 to 200 characters';
  end if;
  if p_launch_url is not null and p_launch_url !~ '^https?://' then
    return 'launch_url must be an http(s) URL';
  end if;
  select s.* into v_step from public.enrollment_steps s where s.id = p_step_id;
  if not found then
    raise exception 'step % not found', p_step_id using errcode = 'PS002';
  end if;
  perform private.lock_partner_link(v_step.provider_id, p_external_enrollment_id);
  v_step := private.lock_step(p_step_id);
  if v_step.external_enrollment_id is not null and v_step.external_enrollment_id <> p_external_enrollment_id then
    return pg_catalog.format('the step is already linked to partner enrollment %s', v_step.external_enrollment_id);
  end if;
  if exists (select 1 from public.enrollment_steps o
             where o.provider_id = v_step.provider_id and o.external_enrollment_id = p_external_enrollment_id
               and o.id <> p_step_id) then
    return pg_catalog.format('partner enrollment %s already belongs to another step at this partner',
                             p_external_enrollment_id);
  end if;
  update public.enrollment_steps
    set external_enrollment_id = p_external_enrollment_id,
        launch_url = coalesce(p_launch_url, launch_url)
    where id = p_step_id
      and (external_enrollment_id is distinct from p_external_enrollment_id
           or launch_url is distinct from coalesce(p_launch_url, launch_url));
  -- the student can start: tell them, once per start of the step
  if v_step.status = 'in_progress' and v_step.external_enrollment_id is null then
    v_context := private.step_context(p_step_id);
    perform private.enqueue_email('step_started', (v_context ->> 'user_id')::uuid, v_context,
      'email:step_started:' || p_step_id || ':' || pg_catalog.floor(extract(epoch from v_step.started_at) * 1000)::bigint);
  end if;
  return null;
end
$$;
comment on function private.link_step(uuid, text, text) is 'Stores the partner''s enrollment id (and launch URL) on a step; returns null, or the reason it was refused. Raises PS002 for an unknown step.';
revoke all on function private.link_step(uuid, text, text) from public, anon, authenticated;
grant execute on function private.link_step(uuid, text, text) to service_role;
