-- The one implementation of "this step is done": used by mark_step_complete (partners, from
-- in_progress only) and admin_complete_step (also from failed). Locks the enrollment, then the
-- step; stores the partner's id; advances. Completing a completed step is a no-op that returns
-- the same answer as the first time: the next non-skipped step, or null after the last.
-- p_partner_result (a partner's completion: its date, score and event id) is merged into
-- partner_result by the same update, once: the first completion event that carries it wins.
create or replace function private.complete_step(
  p_step_id uuid, p_external_enrollment_id text, p_from_statuses text[],
  p_partner_result jsonb default null)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_enrollment_id uuid;
  v_step public.enrollment_steps;
begin
  v_step := private.lock_step(p_step_id);
  v_enrollment_id := v_step.enrollment_id;

  if v_step.status = 'completed' then
    if p_partner_result is not null and not (v_step.partner_result ? 'event_id') then
      update public.enrollment_steps set partner_result = partner_result || p_partner_result
        where id = p_step_id;
    end if;
    return (select n.id from public.enrollment_steps n
            where n.enrollment_id = v_enrollment_id and n.sequence_order > v_step.sequence_order
              and n.status <> 'skipped'
            order by n.sequence_order limit 1);
  end if;
  if not (v_step.status = any (p_from_statuses)) then
    raise exception 'step % is %; only a step that is % can be completed',
      p_step_id, v_step.status, pg_catalog.array_to_string(p_from_statuses, ' or ')
      using errcode = 'PS003';
  end if;
  if p_external_enrollment_id is not null then
    if v_step.external_enrollment_id is not null
       and v_step.external_enrollment_id <> p_external_enrollment_id then
      raise exception 'step % is linked to partner id %, not %',
        p_step_id, v_step.external_enrollment_id, p_external_enrollment_id using errcode = 'PS005';
    end if;
    if exists (select 1 from public.enrollment_steps o
               where o.provider_id = v_step.provider_id
                 and o.external_enrollment_id = p_external_enrollment_id and o.id <> p_step_id) then
      raise exception 'partner id % already belongs to another step at this partner',
        p_external_enrollment_id using errcode = 'PS005';
    end if;
  end if;

  update public.enrollment_steps
    set status = 'completed', completed_at = pg_catalog.now(), progress_percent = 100,
        error_message = null,
        external_enrollment_id = coalesce(p_external_enrollment_id, external_enrollment_id),
        partner_result = case when p_partner_result is null or partner_result ? 'event_id' then partner_result
                              else partner_result || p_partner_result end
    where id = p_step_id;
  return public.advance_to_next_step(v_enrollment_id);
end
$$;
comment on function private.complete_step(uuid, text, text[], jsonb) is 'Completes a step whose status is in p_from_statuses (merging a partner''s result once) and advances; shared by mark_step_complete, admin_complete_step and partner completion events.';
revoke all on function private.complete_step(uuid, text, text[], jsonb) from public, anon, authenticated;
grant execute on function private.complete_step(uuid, text, text[], jsonb) to service_role;
