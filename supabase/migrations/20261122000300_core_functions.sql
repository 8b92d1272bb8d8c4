-- Core functions and triggers: the step state machine. Sources: sql/functions/*.sql
-- (this file is their concatenation, in dependency order; edit the sources, then ship them
-- with scripts/new-migration).

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- ==== sql/functions/is_admin.sql ====
-- Is the calling user (auth.uid()) an admin? Used by RLS policies and admin overrides.
-- security definer: it reads profiles without recursing into profiles' own RLS policy; it only
-- ever answers about the caller, so it is safe to grant to authenticated.
create schema if not exists private;
grant usage on schema private to authenticated, service_role;

create or replace function private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.profiles p
    where p.id = (select auth.uid()) and p.role = 'admin'
  )
$$;
comment on function private.is_admin() is 'True when the calling user (auth.uid()) has profiles.role = admin.';
revoke all on function private.is_admin() from public, anon;
grant execute on function private.is_admin() to authenticated, service_role;

-- ==== sql/functions/set_audit_context.sql ====
-- Record who acts and why for the step transitions of the rest of this statement's work;
-- read by the audit trigger (tg_enrollment_steps__audit). Transaction-local settings.
create or replace function private.set_audit_context(p_reason text, p_actor_role text default null)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  select pg_catalog.set_config('app.step_reason', coalesce(p_reason, ''), true);
  select pg_catalog.set_config('app.step_actor_role', p_actor_role, true) where p_actor_role is not null;
$$;
comment on function private.set_audit_context(text, text) is 'Sets the reason (and actor role) the audit trigger records for the next step transitions in this transaction.';
revoke all on function private.set_audit_context(text, text) from public, anon, authenticated;
grant execute on function private.set_audit_context(text, text) to service_role;

-- ==== sql/functions/authorize_step_override.sql ====
-- Gate of every admin override: the caller must be an admin (JWT of a profile with role admin),
-- the service role, or a direct database session (a DBA in psql); a reason is mandatory.
-- Sets the audit context so the transition records who acted and why.
create or replace function private.authorize_step_override(p_reason text)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_role text := pg_catalog.current_setting('role');
  v_actor text;
begin
  if coalesce(auth.role(), '') = 'service_role' or v_role = 'service_role' then
    v_actor := 'service_role';
  elsif v_role = 'none' and auth.uid() is null then
    v_actor := session_user;
  elsif private.is_admin() then
    v_actor := 'admin';
  else
    raise exception 'only admins may override a step'
      using errcode = '42501', hint = 'Sign in as a user whose profile role is admin.';
  end if;
  if p_reason is null or length(btrim(p_reason)) < 3 then
    raise exception 'a reason is required for an override (at least 3 characters)'
      using errcode = 'PS007';
  end if;
  perform private.set_audit_context(btrim(p_reason), v_actor);
end
$$;
comment on function private.authorize_step_override(text) is 'Raises 42501 unless the caller is an admin, the service role or a direct DB session; PS007 without a reason. Sets the audit context.';
revoke all on function private.authorize_step_override(text) from public, anon, authenticated;
grant execute on function private.authorize_step_override(text) to service_role;

-- ==== sql/functions/lock_step.sql ====
-- Lock a step for a transition, always in the same order (its enrollment, then the step) so
-- that concurrent transitions of one enrollment serialize instead of deadlocking.
create or replace function private.lock_step(p_step_id uuid)
returns public.enrollment_steps
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_enrollment_id uuid;
  v_step public.enrollment_steps;
begin
  select s.enrollment_id into v_enrollment_id from public.enrollment_steps s where s.id = p_step_id;
  if not found then
    raise exception 'step % not found', p_step_id using errcode = 'PS002';
  end if;
  perform 1 from public.enrollments e where e.id = v_enrollment_id for update;
  select s.* into v_step from public.enrollment_steps s where s.id = p_step_id for update;
  return v_step;
end
$$;
comment on function private.lock_step(uuid) is 'Locks the step''s enrollment row, then the step row; returns the step. PS002 when it does not exist.';
revoke all on function private.lock_step(uuid) from public, anon, authenticated;
grant execute on function private.lock_step(uuid) to service_role;

-- ==== sql/functions/tg_enrollment_steps__guard_transition.sql ====
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

create or replace trigger enrollment_steps_guard_transition
  before update on public.enrollment_steps
  for each row execute function private.tg_enrollment_steps__guard_transition();

-- ==== sql/functions/tg_enrollment_steps__audit.sql ====
-- Audit trail: one step_transitions row for every step insert and status change, whatever the path.
create or replace function private.tg_enrollment_steps__audit()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_role text := pg_catalog.current_setting('role');
begin
  insert into public.step_transitions
    (step_id, enrollment_id, from_status, to_status, actor_id, actor_role, reason)
  values (
    new.id, new.enrollment_id,
    case when tg_op = 'UPDATE' then old.status end,
    new.status,
    auth.uid(),
    coalesce(
      nullif(pg_catalog.current_setting('app.step_actor_role', true), ''),
      nullif(auth.role(), ''),
      nullif(v_role, 'none'),
      session_user),
    nullif(pg_catalog.current_setting('app.step_reason', true), '')
  );
  return null;
end
$$;
comment on function private.tg_enrollment_steps__audit() is 'After insert/update of status on enrollment_steps: appends the transition to step_transitions. Definer so the trail is written whoever changes the step.';
revoke all on function private.tg_enrollment_steps__audit() from public, anon, authenticated;

create or replace trigger enrollment_steps_audit_insert
  after insert on public.enrollment_steps
  for each row execute function private.tg_enrollment_steps__audit();
create or replace trigger enrollment_steps_audit_update
  after update of status on public.enrollment_steps
  for each row when (old.status is distinct from new.status)
  execute function private.tg_enrollment_steps__audit();

-- ==== sql/functions/is_enrollment_complete.sql ====
-- True when the enrollment has at least one step and every step is completed or skipped.
-- (A failed step is not complete.) The one definition of "done" that advance_to_next_step uses.
create or replace function public.is_enrollment_complete(p_enrollment_id uuid)
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select exists (select 1 from public.enrollment_steps s where s.enrollment_id = p_enrollment_id)
     and not exists (
       select 1 from public.enrollment_steps s
       where s.enrollment_id = p_enrollment_id and s.status not in ('completed', 'skipped')
     )
$$;
comment on function public.is_enrollment_complete(uuid) is 'True when the enrollment has steps and all are completed or skipped (failed is not complete).';
revoke all on function public.is_enrollment_complete(uuid) from public, anon;
grant execute on function public.is_enrollment_complete(uuid) to authenticated, service_role;

-- ==== sql/functions/get_current_step.sql ====
-- The enrollment's step in progress (zero rows when none). RLS applies: a student asking about
-- someone else's enrollment sees nothing.
create or replace function public.get_current_step(p_enrollment_id uuid)
returns setof public.enrollment_steps
language sql
stable
security invoker
set search_path = ''
rows 1
as $$
  select s.* from public.enrollment_steps s
  where s.enrollment_id = p_enrollment_id and s.status = 'in_progress'
$$;
comment on function public.get_current_step(uuid) is 'The in-progress step of an enrollment, or no row.';
revoke all on function public.get_current_step(uuid) from public, anon;
grant execute on function public.get_current_step(uuid) to authenticated, service_role;

-- ==== sql/functions/advance_to_next_step.sql ====
-- Start the next step of an enrollment, if it may advance. Returns the step now in progress:
-- the one already running (never starts a second), the next pending one it just started, or
-- null when blocked by a failed step, when the enrollment is not active, or when every step is
-- done, in which case the enrollment becomes completed.
create or replace function public.advance_to_next_step(p_enrollment_id uuid)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_status text;
  v_step public.enrollment_steps;
begin
  select e.status into v_status from public.enrollments e where e.id = p_enrollment_id for update;
  if not found then
    raise exception 'enrollment % not found', p_enrollment_id using errcode = 'PS001';
  end if;

  select s.* into v_step from public.enrollment_steps s
  where s.enrollment_id = p_enrollment_id and s.status not in ('completed', 'skipped')
  order by s.sequence_order
  limit 1
  for update;

  if not found then
    if public.is_enrollment_complete(p_enrollment_id) then
      update public.enrollments
        set status = 'completed', completed_at = pg_catalog.now()
        where id = p_enrollment_id and status = 'active';
    end if;
    return null;
  end if;

  if v_step.status = 'in_progress' then
    return v_step.id;
  end if;
  if v_step.status = 'failed' or v_status <> 'active' then
    return null;
  end if;

  perform private.set_audit_context(
    case when v_step.sequence_order = (select min(s.sequence_order) from public.enrollment_steps s
                                       where s.enrollment_id = p_enrollment_id)
         then 'first step of the enrollment'
         else 'previous steps done' end);
  update public.enrollment_steps
    set status = 'in_progress', started_at = pg_catalog.now(), error_message = null
    where id = v_step.id;
  return v_step.id;
end
$$;
comment on function public.advance_to_next_step(uuid) is 'Starts the next pending step unless one is in progress or a failed step blocks; completes the enrollment when every step is done. Returns the in-progress step id or null. PS001: no such enrollment.';
revoke all on function public.advance_to_next_step(uuid) from public, anon, authenticated;
grant execute on function public.advance_to_next_step(uuid) to service_role;

-- ==== sql/functions/generate_enrollment_steps.sql ====
-- Create an enrollment's steps from its program's partner sequence and start the first.
-- Idempotent: when the steps exist it changes nothing and returns the same count. Concurrent
-- callers are serialized on the enrollment row.
create or replace function public.generate_enrollment_steps(p_enrollment_id uuid)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_program_id uuid;
  v_count integer;
  v_max integer;
begin
  select e.program_id into v_program_id from public.enrollments e
  where e.id = p_enrollment_id for update;
  if not found then
    raise exception 'enrollment % not found', p_enrollment_id using errcode = 'PS001';
  end if;

  select count(*) into v_count from public.enrollment_steps s where s.enrollment_id = p_enrollment_id;
  if v_count > 0 then
    return v_count;
  end if;

  select count(*), max(m.sequence_order) into v_count, v_max
  from public.program_partner_lms m where m.program_id = v_program_id;
  if v_count = 0 then
    raise exception 'program % has no partner sequence', v_program_id using errcode = 'PS004',
      hint = 'Add rows to program_partner_lms for this program.';
  end if;
  if v_max <> v_count then
    raise exception 'program % has gaps in its partner sequence (orders must be 1..%)', v_program_id, v_count
      using errcode = 'PS004';
  end if;

  perform private.set_audit_context('steps generated from the program''s partner sequence');
  insert into public.enrollment_steps (enrollment_id, provider_id, sequence_order, is_required)
  select p_enrollment_id, m.provider_id, m.sequence_order, m.is_required
  from public.program_partner_lms m
  where m.program_id = v_program_id
  order by m.sequence_order;

  perform public.advance_to_next_step(p_enrollment_id);
  return v_count;
end
$$;
comment on function public.generate_enrollment_steps(uuid) is 'Creates the enrollment''s steps from program_partner_lms (validated: non-empty, orders 1..n) and starts the first. Idempotent; returns the number of steps. PS001 no enrollment, PS004 bad sequence.';
revoke all on function public.generate_enrollment_steps(uuid) from public, anon, authenticated;
grant execute on function public.generate_enrollment_steps(uuid) to service_role;

-- ==== sql/functions/tg_enrollments__generate_steps.sql ====
-- Inserting an enrollment is all it takes: its steps are generated and the first started in the
-- same transaction, whatever path inserted the row.
create or replace function private.tg_enrollments__generate_steps()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  perform public.generate_enrollment_steps(new.id);
  return null;
end
$$;
comment on function private.tg_enrollments__generate_steps() is 'After insert on enrollments: generate_enrollment_steps(new.id).';
revoke all on function private.tg_enrollments__generate_steps() from public, anon, authenticated;

create or replace trigger enrollments_generate_steps
  after insert on public.enrollments
  for each row execute function private.tg_enrollments__generate_steps();

-- ==== sql/functions/complete_step.sql ====
-- The one implementation of "this step is done": used by mark_step_complete (partners, from
-- in_progress only) and admin_complete_step (also from failed). Locks the enrollment, then the
-- step; stores the partner's id; advances. Completing a completed step is a no-op that returns
-- the same answer as the first time: the next non-skipped step, or null after the last.
create or replace function private.complete_step(
  p_step_id uuid, p_external_enrollment_id text, p_from_statuses text[])
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
        external_enrollment_id = coalesce(p_external_enrollment_id, external_enrollment_id)
    where id = p_step_id;
  return public.advance_to_next_step(v_enrollment_id);
end
$$;
comment on function private.complete_step(uuid, text, text[]) is 'Completes a step whose status is in p_from_statuses and advances; shared by mark_step_complete and admin_complete_step.';
revoke all on function private.complete_step(uuid, text, text[]) from public, anon, authenticated;
grant execute on function private.complete_step(uuid, text, text[]) to service_role;

-- ==== sql/functions/mark_step_complete.sql ====
-- A partner finished a step: in_progress -> completed, store the partner's enrollment id,
-- start the next step. Returns the next step's id (null after the last step, when the
-- enrollment becomes completed). Completing an already completed step is a harmless no-op
-- returning the same answer. PS002 unknown step; PS003 step not in progress; PS005 partner id
-- conflict.
create or replace function public.mark_step_complete(
  p_step_id uuid, p_external_enrollment_id text default null)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  perform private.set_audit_context('partner reported completion');
  return private.complete_step(p_step_id, p_external_enrollment_id, array['in_progress']);
end
$$;
comment on function public.mark_step_complete(uuid, text) is 'Completes an in-progress step (idempotent), stores the partner''s enrollment id and advances; returns the next step id or null. PS002/PS003/PS005.';
revoke all on function public.mark_step_complete(uuid, text) from public, anon, authenticated;
grant execute on function public.mark_step_complete(uuid, text) to service_role;

-- ==== sql/functions/admin_fail_step.sql ====
-- Admin override: mark an in-progress step failed (the reason becomes its error message).
-- The enrollment stays blocked there until an admin retries, skips or completes the step.
create or replace function public.admin_fail_step(p_step_id uuid, p_reason text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
begin
  perform private.authorize_step_override(p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status <> 'in_progress' then
    raise exception 'step % is %; only an in-progress step can be failed', p_step_id, v_step.status
      using errcode = 'PS003';
  end if;
  update public.enrollment_steps set status = 'failed', error_message = btrim(p_reason)
    where id = p_step_id;
end
$$;
comment on function public.admin_fail_step(uuid, text) is 'Admin override: in_progress -> failed, audited with the acting user and reason. 42501 non-admin, PS002, PS003, PS007.';
revoke all on function public.admin_fail_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_fail_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/admin_skip_step.sql ====
-- Admin override: skip a step that is pending, in progress or failed, then advance. Returns the
-- step now in progress (or null).
create or replace function public.admin_skip_step(p_step_id uuid, p_reason text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
begin
  perform private.authorize_step_override(p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status not in ('pending', 'in_progress', 'failed') then
    raise exception 'step % is %; only a pending, in-progress or failed step can be skipped',
      p_step_id, v_step.status using errcode = 'PS003';
  end if;
  update public.enrollment_steps set status = 'skipped' where id = p_step_id;
  return public.advance_to_next_step(v_step.enrollment_id);
end
$$;
comment on function public.admin_skip_step(uuid, text) is 'Admin override: pending|in_progress|failed -> skipped, then advance; returns the in-progress step or null. 42501, PS002, PS003, PS007.';
revoke all on function public.admin_skip_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_skip_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/admin_retry_step.sql ====
-- Admin override: put a failed step back in progress (a fresh start at that partner).
create or replace function public.admin_retry_step(p_step_id uuid, p_reason text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
begin
  perform private.authorize_step_override(p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status <> 'failed' then
    raise exception 'step % is %; only a failed step can be retried', p_step_id, v_step.status
      using errcode = 'PS003';
  end if;
  update public.enrollment_steps
    set status = 'in_progress', started_at = pg_catalog.now(), error_message = null
    where id = p_step_id;
  return p_step_id;
end
$$;
comment on function public.admin_retry_step(uuid, text) is 'Admin override: failed -> in_progress (restarted now); returns the step id. 42501, PS002, PS003, PS007.';
revoke all on function public.admin_retry_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_retry_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/admin_complete_step.sql ====
-- Admin override: complete an in-progress or failed step by hand (e.g. the partner confirmed by
-- phone), optionally recording the partner's enrollment id, then advance.
create or replace function public.admin_complete_step(
  p_step_id uuid, p_reason text, p_external_enrollment_id text default null)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.authorize_step_override(p_reason);
  return private.complete_step(p_step_id, p_external_enrollment_id, array['in_progress', 'failed']);
end
$$;
comment on function public.admin_complete_step(uuid, text, text) is 'Admin override: in_progress|failed -> completed, then advance; returns the next step id or null. 42501, PS002, PS003, PS005, PS007.';
revoke all on function public.admin_complete_step(uuid, text, text) from public, anon, authenticated;
grant execute on function public.admin_complete_step(uuid, text, text) to authenticated, service_role;
