-- The outbox, at the source: when a step starts (first start, next step, admin retry), enrolling
-- the student at that partner is queued in the same transaction. A partner without an API
-- (adapter manual) gets an admin alert instead: someone enrolls the student and enters the id.
create or replace function private.tg_enrollment_steps__enqueue_partner_enrollment()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_context jsonb;
  v_key text;
  v_id bigint;
begin
  if new.external_enrollment_id is not null then
    return null;  -- already enrolled at the partner (linked ahead of time)
  end if;
  v_context := private.step_context(new.id);
  -- one key per start of the step (a retry is a new start): the partner's Idempotency-Key
  v_key := new.id || ':' || pg_catalog.floor(extract(epoch from pg_catalog.clock_timestamp()) * 1000000)::bigint;
  if v_context ->> 'adapter' = 'rest' then
    -- assignments, not perform: each call is an expression, with no statement of its own
    v_id := queue.send('partner_enrollment', v_context || pg_catalog.jsonb_build_object('idempotency_key', v_key),
                       0, 'enroll:' || v_key);
  else
    v_id := private.raise_admin_alert('manual_enrollment_needed', 'manual_enrollment_needed:' || v_key,
      pg_catalog.format('%s has no enrollment API: enroll %s (%s) by hand, then enter the partner''s enrollment id.',
                        v_context ->> 'partner_name', v_context ->> 'student_name', v_context ->> 'student_email'),
      new.id);
  end if;
  return null;
end
$$;
comment on function private.tg_enrollment_steps__enqueue_partner_enrollment() is 'After a step becomes in_progress: queues its partner enrollment (rest adapter) or alerts admins (manual adapter).';
revoke all on function private.tg_enrollment_steps__enqueue_partner_enrollment() from public, anon, authenticated;
