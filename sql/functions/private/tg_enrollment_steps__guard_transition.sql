-- The step state machine, enforced on the table itself so that no path (function, service role,
-- psql) can make an illegal transition or rewrite which partner/order a step is.
create or replace function private.tg_enrollment_steps__guard_transition()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  if new.enrollment_id <> old.enrollment_id or new.provider_id <> old.provider_id
     or new.sequence_order <> old.sequence_order then
    raise exception 'a step''s enrollment, partner and order cannot change'
      using errcode = 'PS003';
  end if;
  if new.status <> old.status and (old.status, new.status) not in (
       ('pending', 'in_progress'), ('pending', 'skipped'),
       ('in_progress', 'completed'), ('in_progress', 'failed'), ('in_progress', 'skipped'),
       ('failed', 'in_progress'), ('failed', 'completed'), ('failed', 'skipped')) then
    raise exception 'illegal step transition % -> % (step %)', old.status, new.status, old.id
      using errcode = 'PS003';
  end if;
  new.updated_at := pg_catalog.now();
  return new;
end
$$;
comment on function private.tg_enrollment_steps__guard_transition() is 'Before update on enrollment_steps: allows only the state machine''s transitions (PS003 otherwise).';
revoke all on function private.tg_enrollment_steps__guard_transition() from public, anon, authenticated;
