-- private.complete_step's work on a step its caller has locked with private.lock_step (its
-- enrollment row, then the step row, held until commit): p_step is the step as lock_step returned
-- it. Completes it if its status is in p_from_statuses, stores the partner's id, advances (the
-- enrollment is already locked: private.advance_enrollment). Completing a completed step is a
-- no-op that returns the same answer as the first time: the next non-skipped step, or null after
-- the last. p_partner_result (a partner's completion: its date, score and event id) is merged into
-- partner_result by the same update, once: the first completion event that carries it wins.
create or replace function private.complete_locked_step(
  p_step public.enrollment_steps, p_external_enrollment_id text, p_from_statuses text[],
  p_partner_result jsonb default null)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_step_id uuid := p_step.id;
begin
  if p_step.status = 'completed' then
    if p_partner_result is not null and not (p_step.partner_result ? 'event_id') then
      update public.enrollment_steps set partner_result = partner_result || p_partner_result
        where id = v_step_id;
    end if;
    return (select n.id from public.enrollment_steps n
            where n.enrollment_id = p_step.enrollment_id and n.sequence_order > p_step.sequence_order
              and n.status <> 'skipped'
            order by n.sequence_order limit 1);
  end if;
  if not (p_step.status = any (p_from_statuses)) then
    raise exception 'step % is %; only a step that is % can be completed',
      v_step_id, p_step.status, pg_catalog.array_to_string(p_from_statuses, ' or ')
      using errcode = 'PS003';
  end if;
  if p_external_enrollment_id is not null then
    if p_step.external_enrollment_id is not null
       and p_step.external_enrollment_id <> p_external_enrollment_id then
      raise exception 'step % is linked to partner id %, not %',
        v_step_id, p_step.external_enrollment_id, p_external_enrollment_id using errcode = 'PS005';
    end if;
    if exists (select 1 from public.enrollment_steps o
               where o.provider_id = p_step.provider_id
                 and o.external_enrollment_id = p_external_enrollment_id and o.id <> v_step_id) then
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
    where id = v_step_id;
  return private.advance_enrollment(p_step.enrollment_id);
end
$$;
comment on function private.complete_locked_step(public.enrollment_steps, text, text[], jsonb) is 'complete_step on a step the caller locked with lock_step (enrollment, then step): completes it from p_from_statuses (merging a partner''s result once) and advances. Returns the next step id or null. PS003/PS005.';
revoke all on function private.complete_locked_step(public.enrollment_steps, text, text[], jsonb) from public, anon, authenticated;
grant execute on function private.complete_locked_step(public.enrollment_steps, text, text[], jsonb) to service_role;
