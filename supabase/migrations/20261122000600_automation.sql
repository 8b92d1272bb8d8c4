-- Automation: the transactional outbox (a pgmq-like queue in schema queue), admin alerts, the
-- email log and certificates. Functions: sql/functions/queue.*.sql, the outbox triggers and the
-- worker's calls; policies: sql/policies/{certificates,admin_alerts,email_sends}.sql.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

create schema if not exists queue;
grant usage on schema queue to service_role;
alter default privileges in schema queue revoke execute on functions from public;

create table queue.queues (
  queue_name text primary key check (queue_name ~ '^[a-z_]{1,40}$'),
  visibility_timeout_seconds integer not null default 60 check (visibility_timeout_seconds between 1 and 86400),
  max_attempts integer not null default 8 check (max_attempts between 1 and 100),
  backoff_base_seconds double precision not null default 2 check (backoff_base_seconds > 0),
  backoff_cap_seconds double precision not null default 600 check (backoff_cap_seconds > 0)
);
alter table queue.queues enable row level security;
comment on table queue.queues is 'Queues and their retry policy (like pgmq.create): visibility timeout, attempts, backoff base and cap.';
insert into queue.queues (queue_name, visibility_timeout_seconds, max_attempts, backoff_base_seconds, backoff_cap_seconds)
values ('partner_enrollment', 60, 8, 2, 600), ('email', 60, 8, 5, 900), ('certificate', 120, 5, 5, 600);

create table queue.jobs (
  msg_id bigint generated always as identity primary key,
  queue_name text not null references queue.queues (queue_name) on delete restrict,
  message jsonb not null,
  dedupe_key text,
  enqueued_at timestamptz not null default now(),
  vt timestamptz not null default now(),
  read_ct integer not null default 0,
  last_error text
);
-- queue.read walks a queue in msg_id order and stops at the first p_qty visible jobs (most are)
create index jobs_queue_msg_id_idx on queue.jobs (queue_name, msg_id);
alter table queue.jobs enable row level security;
comment on table queue.jobs is 'Messages waiting or being worked on (pgmq-like: vt is when it is visible again, read_ct counts reads).';

create table queue.job_keys (
  queue_name text not null references queue.queues (queue_name) on delete restrict,
  dedupe_key text not null,
  created_at timestamptz not null default now(),
  primary key (queue_name, dedupe_key)
);
alter table queue.job_keys enable row level security;
comment on table queue.job_keys is 'Dedupe keys ever sent per queue: a message with a known key is not sent again (once per event).';

create table queue.jobs_archive (
  msg_id bigint primary key,
  queue_name text not null,
  message jsonb not null,
  dedupe_key text,
  enqueued_at timestamptz not null,
  read_ct integer not null,
  last_error text,
  outcome text not null check (outcome in ('done', 'dead')),
  archived_at timestamptz not null default now()
);
create index jobs_archive_dead_idx on queue.jobs_archive (queue_name, archived_at desc) where outcome = 'dead';
alter table queue.jobs_archive enable row level security;
comment on table queue.jobs_archive is 'Finished messages: done, or dead (dead letters, after max attempts).';

grant select, insert, update, delete on all tables in schema queue to service_role;

create table public.admin_alerts (
  id bigint generated always as identity primary key,
  kind text not null,
  dedupe_key text not null unique,
  message text not null,
  step_id uuid references public.enrollment_steps (id) on delete cascade,
  enrollment_id uuid references public.enrollments (id) on delete cascade,
  created_at timestamptz not null default now(),
  resolved_at timestamptz
);
create index admin_alerts_open_idx on public.admin_alerts (created_at desc) where resolved_at is null;
create index admin_alerts_step_id_idx on public.admin_alerts (step_id);
create index admin_alerts_enrollment_id_idx on public.admin_alerts (enrollment_id);
alter table public.admin_alerts enable row level security;
comment on table public.admin_alerts is 'Things an admin must look at: failed partner enrollments, manual enrollments needed, SLA breaches.';

create table public.email_sends (
  id bigint generated always as identity primary key,
  dedupe_key text not null unique,
  msg_id bigint,
  template text not null,
  to_address text not null,
  user_id uuid references public.profiles (id) on delete set null,
  subject text,
  message_id text not null,
  status text not null default 'sending' check (status in ('sending', 'sent', 'skipped')),
  attempts integer not null default 1,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index email_sends_user_id_idx on public.email_sends (user_id);
alter table public.email_sends enable row level security;
comment on table public.email_sends is 'Every email: one row per event (dedupe key), so a retried job never sends twice.';

create table public.certificates (
  id uuid primary key default gen_random_uuid(),
  enrollment_id uuid not null unique references public.enrollments (id) on delete cascade,
  verification_code text not null unique default replace(gen_random_uuid()::text, '-', '')
    check (verification_code ~ '^[0-9a-f]{32}$'),
  issued_at timestamptz not null default now(),
  revoked_at timestamptz,
  revoked_reason text,
  pdf bytea,
  pdf_generated_at timestamptz
);
alter table public.certificates enable row level security;
comment on table public.certificates is 'One certificate per completed enrollment; verification_code (122 random bits) is printed on it and checked at /certificates/<code>.';

-- raise_admin_alert emails every admin: find them without reading every profile. Not
-- concurrently: migrations run in a transaction; the partial index is built in one quick pass.
-- squawk-ignore require-concurrent-index-creation
create index profiles_admins_idx on public.profiles (id) where role = 'admin';

revoke all on public.admin_alerts, public.email_sends, public.certificates from anon, authenticated;
grant select on public.admin_alerts, public.email_sends, public.certificates to authenticated;
grant all on public.admin_alerts, public.email_sends, public.certificates to service_role;

-- ==== sql/functions/queue.send.sql ====
-- pgmq-like queue API (schema queue): send / read / archive / fail / set_vt.
-- Kept close to pgmq's (pgmq.send, pgmq.read, pgmq.archive, pgmq.set_vt) so a Supabase Queues
-- deployment is an easy swap; pgmq itself cannot be installed on Debian's PostgreSQL 15 here.
--
-- Send a message. p_dedupe_key makes it at-most-once per (queue, key) for ever (a second send
-- returns null): the outbox's "once per event". No NOTIFY: a notifying transaction serializes
-- every commit in the cluster (measured 8,039 vs 831 inserts/s with 16 clients), so workers poll.
create or replace function queue.send(
  p_queue text, p_message jsonb, p_delay_seconds integer default 0, p_dedupe_key text default null)
returns bigint
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_msg_id bigint;
begin
  perform 1 from queue.queues q where q.queue_name = p_queue;
  if not found then
    raise exception 'queue % does not exist', p_queue using errcode = 'PS020';
  end if;
  if p_dedupe_key is not null then
    insert into queue.job_keys (queue_name, dedupe_key) values (p_queue, p_dedupe_key)
    on conflict do nothing;
    if not found then
      return null;
    end if;
  end if;
  insert into queue.jobs (queue_name, message, dedupe_key, vt)
  values (p_queue, p_message, p_dedupe_key,
          pg_catalog.now() + pg_catalog.make_interval(secs => greatest(p_delay_seconds, 0)))
  returning msg_id into v_msg_id;
  return v_msg_id;
end
$$;
comment on function queue.send(text, jsonb, integer, text) is 'Enqueue a message (pgmq.send-like); with a dedupe key, at most once per (queue, key): returns null for a repeat. PS020: unknown queue.';
revoke all on function queue.send(text, jsonb, integer, text) from public, anon, authenticated;
grant execute on function queue.send(text, jsonb, integer, text) to service_role;

-- ==== sql/functions/queue.read.sql ====
-- Take up to p_qty visible messages, hiding them for p_vt_seconds (pgmq.read-like). Concurrent
-- readers never get the same message (for update skip locked). A message whose reader died
-- becomes visible again when its visibility timeout passes.
create or replace function queue.read(p_queue text, p_vt_seconds integer, p_qty integer)
returns setof queue.jobs
language sql
volatile
security invoker
set search_path = ''
as $$
  update queue.jobs j
    set vt = pg_catalog.now() + pg_catalog.make_interval(secs => p_vt_seconds), read_ct = j.read_ct + 1
  where j.msg_id in (
    select c.msg_id from queue.jobs c
    where c.queue_name = p_queue and c.vt <= pg_catalog.now()
    order by c.msg_id
    limit p_qty
    for update skip locked
  )
  returning j.*
$$;
comment on function queue.read(text, integer, integer) is 'Read up to p_qty visible messages and hide them for p_vt_seconds (pgmq.read-like; skip locked).';
revoke all on function queue.read(text, integer, integer) from public, anon, authenticated;
grant execute on function queue.read(text, integer, integer) to service_role;

-- ==== sql/functions/queue.archive.sql ====
-- A message is done: move it to queue.jobs_archive (pgmq.archive-like). False if it was not there.
create or replace function queue.archive(p_queue text, p_msg_id bigint)
returns boolean
language sql
volatile
security invoker
set search_path = ''
as $$
  with done as (
    delete from queue.jobs j where j.queue_name = p_queue and j.msg_id = p_msg_id returning j.*
  )
  insert into queue.jobs_archive (msg_id, queue_name, message, dedupe_key, enqueued_at, read_ct, last_error, outcome)
  select d.msg_id, d.queue_name, d.message, d.dedupe_key, d.enqueued_at, d.read_ct, d.last_error, 'done' from done d
  returning true
$$;
comment on function queue.archive(text, bigint) is 'Mark a message done: moved to queue.jobs_archive (pgmq.archive-like). Null when it was not in the queue.';
revoke all on function queue.archive(text, bigint) from public, anon, authenticated;
grant execute on function queue.archive(text, bigint) to service_role;

-- ==== sql/functions/queue.set_vt.sql ====
-- Change when a message becomes visible again (pgmq.set_vt-like); 0 releases it now (a worker
-- shutting down gives back what it has not started).
create or replace function queue.set_vt(p_queue text, p_msg_id bigint, p_vt_seconds integer)
returns boolean
language sql
volatile
security invoker
set search_path = ''
as $$
  update queue.jobs set vt = pg_catalog.now() + pg_catalog.make_interval(secs => p_vt_seconds)
  where queue_name = p_queue and msg_id = p_msg_id
  returning true
$$;
comment on function queue.set_vt(text, bigint, integer) is 'Set a message''s visibility timeout from now (pgmq.set_vt-like); 0 releases it.';
revoke all on function queue.set_vt(text, bigint, integer) from public, anon, authenticated;
grant execute on function queue.set_vt(text, bigint, integer) to service_role;

-- ==== sql/functions/queue.backoff_delay.sql ====
-- Exponential backoff with full jitter (AWS architecture blog): a uniformly random delay in
-- [0, min(cap, base * 2^(attempt-1))). p_random is the uniform draw, a parameter so tests can pin it.
create or replace function queue.backoff_delay(
  p_attempt integer, p_base_seconds double precision, p_cap_seconds double precision,
  p_random double precision default pg_catalog.random())
returns interval
language sql
volatile
security invoker
set search_path = ''
as $$
  select pg_catalog.make_interval(secs =>
    least(p_cap_seconds, p_base_seconds * pg_catalog.power(2::double precision, least(greatest(p_attempt, 1), 60) - 1))
    * least(greatest(p_random, 0), 1))
$$;
comment on function queue.backoff_delay(integer, double precision, double precision, double precision) is 'Full-jitter exponential backoff: random in [0, min(cap, base*2^(attempt-1))].';
revoke all on function queue.backoff_delay(integer, double precision, double precision, double precision) from public, anon, authenticated;
grant execute on function queue.backoff_delay(integer, double precision, double precision, double precision) to service_role;

-- ==== sql/functions/step_context.sql ====
-- Everything the outside world needs to know about a step (partner enrollment calls, emails):
-- student, program, partner and position, as one JSON object.
create or replace function private.step_context(p_step_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'step_id', s.id, 'enrollment_id', e.id, 'user_id', p.id,
    'student_name', coalesce(nullif(p.full_name, ''), p.email), 'student_email', p.email,
    'program_slug', g.slug, 'program_name', g.name,
    'partner_slug', v.slug, 'partner_name', v.provider_name, 'adapter', v.adapter,
    'adapter_config', v.adapter_config,
    'step_number', s.sequence_order,
    'step_count', (select count(*) from public.enrollment_steps c where c.enrollment_id = s.enrollment_id),
    'started_at', s.started_at, 'launch_url', s.launch_url,
    'external_enrollment_id', s.external_enrollment_id)
  from public.enrollment_steps s
  join public.enrollments e on e.id = s.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
  join public.partner_lms_providers v on v.id = s.provider_id
  where s.id = p_step_id
$$;
comment on function private.step_context(uuid) is 'Student, program, partner and position of a step as JSON (for partner calls and emails).';
revoke all on function private.step_context(uuid) from public, anon, authenticated;
grant execute on function private.step_context(uuid) to service_role;

-- ==== sql/functions/enqueue_email.sql ====
-- Queue one email to one user, at most once per dedupe key (the event it is about).
create or replace function private.enqueue_email(
  p_template text, p_user_id uuid, p_context jsonb, p_dedupe_key text)
returns bigint
language sql
volatile
security invoker
set search_path = ''
as $$
  select queue.send('email',
    pg_catalog.jsonb_build_object('template', p_template, 'to', p.email,
      'to_name', coalesce(nullif(p.full_name, ''), p.email), 'user_id', p.id, 'context', p_context),
    0, p_dedupe_key)
  from public.profiles p
  where p.id = p_user_id and p.email is not null
$$;
comment on function private.enqueue_email(text, uuid, jsonb, text) is 'Queues an email (template + context) to a user, once per dedupe key.';
revoke all on function private.enqueue_email(text, uuid, jsonb, text) from public, anon, authenticated;
grant execute on function private.enqueue_email(text, uuid, jsonb, text) to service_role;

-- ==== sql/functions/raise_admin_alert.sql ====
-- Record an admin alert (once per dedupe key) and email every admin about it.
create or replace function private.raise_admin_alert(
  p_kind text, p_dedupe_key text, p_message text, p_step_id uuid default null)
returns bigint
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_alert_id bigint;
  v_context jsonb := coalesce(private.step_context(p_step_id), '{}'::jsonb);
  v_admin uuid;
begin
  insert into public.admin_alerts (kind, dedupe_key, message, step_id, enrollment_id)
  values (p_kind, p_dedupe_key, p_message, p_step_id, (v_context ->> 'enrollment_id')::uuid)
  on conflict (dedupe_key) do nothing
  returning id into v_alert_id;
  if v_alert_id is null then
    return null;
  end if;
  for v_admin in select p.id from public.profiles p where p.role = 'admin' order by p.id loop
    perform private.enqueue_email('admin_alert', v_admin,
      pg_catalog.jsonb_build_object('kind', p_kind, 'message', p_message, 'alert_id', v_alert_id,
        'student_name', v_context ->> 'student_name', 'student_email', v_context ->> 'student_email',
        'program_name', v_context ->> 'program_name', 'partner_name', v_context ->> 'partner_name'),
      'email:admin_alert:' || v_alert_id || ':' || v_admin);
  end loop;
  return v_alert_id;
end
$$;
comment on function private.raise_admin_alert(text, text, text, uuid) is 'Records an admin alert once per dedupe key and queues an email to each admin.';
revoke all on function private.raise_admin_alert(text, text, text, uuid) from public, anon, authenticated;
grant execute on function private.raise_admin_alert(text, text, text, uuid) to service_role;

-- ==== sql/functions/on_dead_job.sql ====
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

-- ==== sql/functions/queue.fail.sql ====
-- A processing attempt failed. Retryable and attempts left: hide the message for a jittered,
-- capped exponential backoff and return 'retry'. Otherwise archive it as dead, let its domain
-- react (private.on_dead_job: e.g. the step becomes failed and admins are alerted), return 'dead'.
create or replace function queue.fail(
  p_queue text, p_msg_id bigint, p_error text, p_retryable boolean default true)
returns text
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_job queue.jobs;
  v_queue queue.queues;
begin
  select j.* into v_job from queue.jobs j where j.queue_name = p_queue and j.msg_id = p_msg_id for update;
  if not found then
    return 'gone';
  end if;
  select q.* into v_queue from queue.queues q where q.queue_name = p_queue;
  if p_retryable and v_job.read_ct < v_queue.max_attempts then
    update queue.jobs
      set vt = pg_catalog.now() + queue.backoff_delay(v_job.read_ct, v_queue.backoff_base_seconds, v_queue.backoff_cap_seconds),
          last_error = pg_catalog.left(p_error, 2000)
      where msg_id = p_msg_id;
    return 'retry';
  end if;
  delete from queue.jobs where msg_id = p_msg_id;
  insert into queue.jobs_archive (msg_id, queue_name, message, dedupe_key, enqueued_at, read_ct, last_error, outcome)
  values (v_job.msg_id, v_job.queue_name, v_job.message, v_job.dedupe_key, v_job.enqueued_at, v_job.read_ct,
          pg_catalog.left(p_error, 2000), 'dead');
  perform private.on_dead_job(v_job.queue_name, v_job.message, pg_catalog.left(p_error, 2000), v_job.read_ct);
  return 'dead';
end
$$;
comment on function queue.fail(text, bigint, text, boolean) is 'Record a failed attempt: retry after full-jitter backoff, or dead after max attempts (or when not retryable), which calls private.on_dead_job.';
revoke all on function queue.fail(text, bigint, text, boolean) from public, anon, authenticated;
grant execute on function queue.fail(text, bigint, text, boolean) to service_role;

-- ==== sql/functions/link_step.sql ====
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

-- ==== sql/functions/tg_enrollment_steps__enqueue_partner_enrollment.sql ====
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
begin
  if new.external_enrollment_id is not null then
    return null;  -- already enrolled at the partner (linked ahead of time)
  end if;
  v_context := private.step_context(new.id);
  -- one key per start of the step (a retry is a new start): the partner's Idempotency-Key
  v_key := new.id || ':' || pg_catalog.floor(extract(epoch from pg_catalog.clock_timestamp()) * 1000000)::bigint;
  if v_context ->> 'adapter' = 'rest' then
    perform queue.send('partner_enrollment', v_context || pg_catalog.jsonb_build_object('idempotency_key', v_key),
                       0, 'enroll:' || v_key);
  else
    perform private.raise_admin_alert('manual_enrollment_needed', 'manual_enrollment_needed:' || v_key,
      pg_catalog.format('%s has no enrollment API: enroll %s (%s) by hand, then enter the partner''s enrollment id.',
                        v_context ->> 'partner_name', v_context ->> 'student_name', v_context ->> 'student_email'),
      new.id);
  end if;
  return null;
end
$$;
comment on function private.tg_enrollment_steps__enqueue_partner_enrollment() is 'After a step becomes in_progress: queues its partner enrollment (rest adapter) or alerts admins (manual adapter).';
revoke all on function private.tg_enrollment_steps__enqueue_partner_enrollment() from public, anon, authenticated;

create or replace trigger enrollment_steps_enqueue_partner_enrollment
  after update of status on public.enrollment_steps
  for each row when (new.status = 'in_progress' and old.status is distinct from 'in_progress')
  execute function private.tg_enrollment_steps__enqueue_partner_enrollment();

-- ==== sql/functions/tg_enrollments__issue_certificate.sql ====
-- When an enrollment completes: exactly one certificate (unique per enrollment, an unguessable
-- verification code), and its PDF queued for the worker, in the same transaction.
create or replace function private.tg_enrollments__issue_certificate()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_certificate_id uuid;
begin
  insert into public.certificates (enrollment_id)
  values (new.id)
  on conflict (enrollment_id) do nothing
  returning id into v_certificate_id;
  if v_certificate_id is not null then
    perform queue.send('certificate', pg_catalog.jsonb_build_object('certificate_id', v_certificate_id),
                       0, 'certificate:' || new.id);
  end if;
  return null;
end
$$;
comment on function private.tg_enrollments__issue_certificate() is 'After an enrollment becomes completed: creates its one certificate and queues the PDF.';
revoke all on function private.tg_enrollments__issue_certificate() from public, anon, authenticated;

create or replace trigger enrollments_issue_certificate
  after update of status on public.enrollments
  for each row when (new.status = 'completed' and old.status is distinct from 'completed')
  execute function private.tg_enrollments__issue_certificate();

-- ==== sql/functions/tg_enrollment_steps__resolve_alerts.sql ====
-- Alerts about a step close themselves when the step no longer needs anyone: it completed or was
-- skipped (all its alerts), or a partner enrollment id was entered (manual enrollment needed).
create or replace function private.tg_enrollment_steps__resolve_alerts()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  update public.admin_alerts a set resolved_at = pg_catalog.now()
  where a.step_id = new.id and a.resolved_at is null
    and (new.status in ('completed', 'skipped')
         or (a.kind = 'manual_enrollment_needed' and new.external_enrollment_id is not null));
  return null;
end
$$;
comment on function private.tg_enrollment_steps__resolve_alerts() is 'After a step completes, is skipped or gets its partner id: resolves the admin alerts that no longer apply.';
revoke all on function private.tg_enrollment_steps__resolve_alerts() from public, anon, authenticated;

create or replace trigger enrollment_steps_resolve_alerts
  after update of status, external_enrollment_id on public.enrollment_steps
  for each row when (new.status in ('completed', 'skipped')
                     or (new.external_enrollment_id is not null and old.external_enrollment_id is null))
  execute function private.tg_enrollment_steps__resolve_alerts();

-- ==== sql/functions/record_partner_enrollment.sql ====
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

-- ==== sql/functions/get_certificate_data.sql ====
-- What a certificate says: student, program, partners completed with dates, code, issue date.
create or replace function public.get_certificate_data(p_certificate_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'certificate_id', c.id, 'enrollment_id', e.id, 'user_id', p.id,
    'student_name', coalesce(nullif(p.full_name, ''), p.email), 'student_email', p.email,
    'program_name', g.name, 'issued_at', c.issued_at, 'verification_code', c.verification_code,
    'revoked', c.revoked_at is not null,
    'steps', (select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                 'partner', v.provider_name, 'status', s.status, 'completed_at', s.completed_at)
               order by s.sequence_order)
              from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id
              where s.enrollment_id = e.id))
  from public.certificates c
  join public.enrollments e on e.id = c.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
  where c.id = p_certificate_id
$$;
comment on function public.get_certificate_data(uuid) is 'The content of a certificate as JSON (for the PDF and the completion email).';
revoke all on function public.get_certificate_data(uuid) from public, anon, authenticated;
grant execute on function public.get_certificate_data(uuid) to service_role;

-- ==== sql/functions/store_certificate_pdf.sql ====
-- The worker rendered a certificate's PDF: keep it, queue the student's "program completed"
-- email (once), finish the job; one transaction.
create or replace function public.store_certificate_pdf(p_msg_id bigint, p_certificate_id uuid, p_pdf bytea)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_data jsonb := public.get_certificate_data(p_certificate_id);
begin
  if v_data is null then
    raise exception 'certificate % not found', p_certificate_id using errcode = 'PS021';
  end if;
  if p_pdf is null or pg_catalog.substr(p_pdf, 1, 4) <> '\x25504446'::bytea then
    raise exception 'not a PDF' using errcode = 'PS021';
  end if;
  update public.certificates set pdf = p_pdf, pdf_generated_at = pg_catalog.now() where id = p_certificate_id;
  perform private.enqueue_email('program_completed', (v_data ->> 'user_id')::uuid,
    pg_catalog.jsonb_build_object('program_name', v_data ->> 'program_name',
      'certificate_id', p_certificate_id, 'verification_code', v_data ->> 'verification_code',
      'partners', (select pg_catalog.jsonb_agg(s ->> 'partner') from pg_catalog.jsonb_array_elements(v_data -> 'steps') s
                   where s ->> 'status' = 'completed')),
    'email:program_completed:' || (v_data ->> 'enrollment_id'));
  perform queue.archive('certificate', p_msg_id);
end
$$;
comment on function public.store_certificate_pdf(bigint, uuid, bytea) is 'Worker: stores a certificate PDF, queues the completion email, completes the job. PS021: unknown certificate or not a PDF.';
revoke all on function public.store_certificate_pdf(bigint, uuid, bytea) from public, anon, authenticated;
grant execute on function public.store_certificate_pdf(bigint, uuid, bytea) to service_role;

-- ==== sql/functions/claim_email.sql ====
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

-- ==== sql/functions/complete_email.sql ====
-- The email left (status sent) or was deliberately not sent (skipped: no SMTP configured):
-- record it and finish the job, in one transaction.
create or replace function public.complete_email(
  p_msg_id bigint, p_send_id bigint, p_subject text, p_status text default 'sent')
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  update public.email_sends set status = p_status, subject = p_subject, sent_at = pg_catalog.now()
  where id = p_send_id;
  select queue.archive('email', p_msg_id);
$$;
comment on function public.complete_email(bigint, bigint, text, text) is 'Worker: marks an email send sent (or skipped) and completes its job.';
revoke all on function public.complete_email(bigint, bigint, text, text) from public, anon, authenticated;
grant execute on function public.complete_email(bigint, bigint, text, text) to service_role;

-- ==== sql/functions/run_periodic_checks.sql ====
-- Periodic work, called by the worker (or pg_cron where available): nudge students stuck in a
-- step for more than p_stuck_days (at most one email per step per week) and alert admins about
-- steps over their partner's SLA (expected_days), once per step start. Returns the counts.
create or replace function public.run_periodic_checks(p_stuck_days integer default 7)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_nudges integer := 0;
  v_breaches integer := 0;
  v_row record;
begin
  for v_row in
    select s.id, e.user_id, s.started_at,
           pg_catalog.floor(extract(epoch from pg_catalog.now() - s.started_at) / 86400)::integer as days
    from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id
    where s.status = 'in_progress' and e.status = 'active'
      and s.started_at < pg_catalog.now() - pg_catalog.make_interval(days => p_stuck_days)
  loop
    if private.enqueue_email('stuck_nudge', v_row.user_id,
         private.step_context(v_row.id) || pg_catalog.jsonb_build_object('days', v_row.days),
         'email:stuck_nudge:' || v_row.id || ':' || pg_catalog.floor(extract(epoch from v_row.started_at))::bigint
           || ':week' || (v_row.days / 7)) is not null then
      v_nudges := v_nudges + 1;
    end if;
  end loop;

  for v_row in
    select s.id, s.started_at, v.provider_name, v.expected_days,
           pg_catalog.floor(extract(epoch from pg_catalog.now() - s.started_at) / 86400)::integer as days
    from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id
    where s.status = 'in_progress'
      and s.started_at < pg_catalog.now() - pg_catalog.make_interval(days => v.expected_days)
  loop
    if private.raise_admin_alert('sla_breach',
         'sla_breach:' || v_row.id || ':' || pg_catalog.floor(extract(epoch from v_row.started_at))::bigint,
         pg_catalog.format('In progress at %s for %s days (expected %s).', v_row.provider_name, v_row.days,
                           v_row.expected_days),
         v_row.id) is not null then
      v_breaches := v_breaches + 1;
    end if;
  end loop;
  return pg_catalog.jsonb_build_object('stuck_nudges', v_nudges, 'sla_breaches', v_breaches);
end
$$;
comment on function public.run_periodic_checks(integer) is 'Queues stuck-student nudges (once per step per week) and SLA-breach admin alerts (once per step start). Returns counts.';
revoke all on function public.run_periodic_checks(integer) from public, anon, authenticated;
grant execute on function public.run_periodic_checks(integer) to service_role;

-- ==== sql/functions/verify_certificate.sql ====
-- Public certificate verification by its unguessable code (the /certificates/<code> page).
-- security definer so anonymous visitors can check a code; it reveals only what the printed
-- certificate shows, and only to someone holding the code.
create or replace function public.verify_certificate(p_code text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'status', case when c.revoked_at is null then 'valid' else 'revoked' end,
    'student_name', coalesce(nullif(p.full_name, ''), 'Student'), 'program_name', g.name,
    'issued_at', c.issued_at, 'revoked_at', c.revoked_at, 'revoked_reason', c.revoked_reason)
  from public.certificates c
  join public.enrollments e on e.id = c.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
  where c.verification_code = p_code and p_code ~ '^[0-9a-f]{32}$'
$$;
comment on function public.verify_certificate(text) is 'Public check of a certificate code: {status valid|revoked, student_name, program_name, issued_at}, or null for an unknown code.';
revoke all on function public.verify_certificate(text) from public;
grant execute on function public.verify_certificate(text) to anon, authenticated, service_role;

-- ==== sql/policies/certificates.sql ====
drop policy if exists "Students can read their own certificates and admins all" on public.certificates;
create policy "Students can read their own certificates and admins all" on public.certificates
  for select to authenticated
  using (
    (select private.is_admin())
    or exists (select 1 from public.enrollments e where e.id = enrollment_id and e.user_id = (select auth.uid()))
  );

-- ==== sql/policies/admin_alerts.sql ====
drop policy if exists "Admins can read alerts" on public.admin_alerts;
create policy "Admins can read alerts" on public.admin_alerts
  for select to authenticated using ((select private.is_admin()));

-- ==== sql/policies/email_sends.sql ====
drop policy if exists "Admins can read the email log" on public.email_sends;
create policy "Admins can read the email log" on public.email_sends
  for select to authenticated using ((select private.is_admin()));
