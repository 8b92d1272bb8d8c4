-- Partner webhooks: the durable inbox of partner events, and the step's partner result.
-- Functions: sql/functions/{receive,replay,apply}_partner_event.sql and friends; policy:
-- sql/policies/partner_events.sql.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

alter table public.enrollment_steps
  add column partner_result jsonb not null default '{}'::jsonb;
comment on column public.enrollment_steps.partner_result is 'What the partner reported with the completion (completed_at, score, the event id).';

create table public.partner_events (
  id bigint generated always as identity primary key,
  provider_id uuid not null references public.partner_lms_providers (id) on delete restrict,
  webhook_id text not null check (length(webhook_id) between 1 and 255),
  event_type text,
  payload jsonb,
  body text,
  external_enrollment_id text,
  step_id uuid references public.enrollment_steps (id) on delete set null,
  status text not null default 'received'
    check (status in ('received', 'processed', 'ignored', 'unmatched', 'deferred', 'rejected')),
  error text,
  attempts integer not null default 0,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  unique (provider_id, webhook_id),
  check (payload is not null or body is not null)
);
-- events waiting for a step to be linked or restarted
create index partner_events_waiting_idx on public.partner_events (provider_id, external_enrollment_id)
  where status in ('unmatched', 'deferred');
-- monitoring: per partner and status, newest first
create index partner_events_provider_received_at_idx on public.partner_events (provider_id, received_at desc);
create index partner_events_status_idx on public.partner_events (status) where status <> 'processed';
create index partner_events_step_id_idx on public.partner_events (step_id);
alter table public.partner_events enable row level security;
comment on table public.partner_events is
  'Durable inbox of signed partner webhook events: every accepted event is kept, unique per partner and webhook-id.';
comment on column public.partner_events.payload is 'The event as JSON (null when the body was not valid JSON; then body holds it).';
comment on column public.partner_events.body is 'The raw body, kept only when it was not valid JSON.';
comment on column public.partner_events.status is 'processed, ignored, unmatched (no step has that id yet), deferred (step not in progress), rejected (malformed).';
comment on column public.partner_events.external_enrollment_id is 'data.external_enrollment_id of the event, for matching waiting events when a step is linked.';

revoke all on public.partner_events from anon, authenticated;
grant select on public.partner_events to authenticated;
grant all on public.partner_events to service_role;

-- ==== sql/functions/event_external_id.sql ====
-- The partner's enrollment id named by an event: data.external_enrollment_id, or the original
-- system's camelCase alias data.enrollmentId. Null unless a non-empty string of at most 200 chars.
create or replace function private.event_external_id(p_payload jsonb)
returns text
language sql
immutable
security invoker
set search_path = ''
as $$
  select v from (
    select case
      when pg_catalog.jsonb_typeof(p_payload -> 'data' -> 'external_enrollment_id') = 'string'
        then p_payload -> 'data' ->> 'external_enrollment_id'
      when pg_catalog.jsonb_typeof(p_payload -> 'data' -> 'enrollmentId') = 'string'
        then p_payload -> 'data' ->> 'enrollmentId'
    end as v
  ) x
  where pg_catalog.length(v) between 1 and 200
$$;
comment on function private.event_external_id(jsonb) is 'data.external_enrollment_id (or the alias data.enrollmentId) of a partner event, when a 1..200 character string.';
revoke all on function private.event_external_id(jsonb) from public, anon, authenticated;
grant execute on function private.event_external_id(jsonb) to service_role;

-- ==== sql/functions/is_timestamp.sql ====
-- Does this text read as a timestamp with time zone (ISO-8601)? Used to validate event fields.
create or replace function private.is_timestamp(p_value text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform p_value::timestamptz;
  return p_value ~ '^\d{4}-\d{2}-\d{2}';
exception when others then
  return false;
end
$$;
comment on function private.is_timestamp(text) is 'True when the text is an ISO-8601 date-time PostgreSQL can read.';
revoke all on function private.is_timestamp(text) from public, anon, authenticated;
grant execute on function private.is_timestamp(text) to service_role;

-- ==== sql/functions/lock_partner_link.sql ====
-- Serialize everything about one partner enrollment id: storing an event for it that matches no
-- step yet, and linking a step to it. Without this, an event committed as "unmatched" just after
-- the link's trigger looked for waiting events would wait forever. Lock order, everywhere:
-- this lock, then the enrollment row, then the step row (see lock_step).
create or replace function private.lock_partner_link(p_provider_id uuid, p_external_enrollment_id text)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  select pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended(p_provider_id::text || '/' || p_external_enrollment_id, 7283991))
$$;
comment on function private.lock_partner_link(uuid, text) is 'Transaction-scoped advisory lock on (partner, partner enrollment id); taken before the enrollment and step row locks.';
revoke all on function private.lock_partner_link(uuid, text) from public, anon, authenticated;
grant execute on function private.lock_partner_link(uuid, text) to service_role;

-- ==== sql/functions/link_step.sql ====
-- Link a step to the partner's enrollment (its external id and launch URL). The one
-- implementation shared by the enrollment.created webhook, the worker's partner enrollment call
-- and the admin entering a partner's id. Returns null on success, else why it was refused:
-- callers decide whether that is an exception (admin) or a rejected event (webhook).
-- Linking makes waiting webhook events for that id apply (trigger on enrollment_steps).
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
  return null;
end
$$;
comment on function private.link_step(uuid, text, text) is 'Stores the partner''s enrollment id (and launch URL) on a step; returns null, or the reason it was refused. Raises PS002 for an unknown step.';
revoke all on function private.link_step(uuid, text, text) from public, anon, authenticated;
grant execute on function private.link_step(uuid, text, text) to service_role;

-- ==== sql/functions/admin_link_step.sql ====
-- Admin override: enter the partner's enrollment id (and launch URL) for a step, e.g. after
-- enrolling the student by hand at a partner without an API. Completion webhooks that arrived
-- for that id before it was known are applied at once.
create or replace function public.admin_link_step(
  p_step_id uuid, p_external_enrollment_id text, p_reason text, p_launch_url text default null)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_error text;
begin
  perform private.authorize_step_override(p_reason);
  v_error := private.link_step(p_step_id, p_external_enrollment_id, p_launch_url);
  if v_error is not null then
    raise exception '%', v_error using errcode = 'PS005';
  end if;
end
$$;
comment on function public.admin_link_step(uuid, text, text, text) is 'Admin override: sets a step''s partner enrollment id and launch URL; waiting webhook events for it apply. 42501, PS002, PS005, PS007.';
revoke all on function public.admin_link_step(uuid, text, text, text) from public, anon, authenticated;
grant execute on function public.admin_link_step(uuid, text, text, text) to authenticated, service_role;

-- ==== sql/functions/apply_partner_event.sql ====
-- Apply one stored partner event through the state machine; the single place that gives
-- webhook events their meaning. Partner-scoped: an event only ever touches steps at the partner
-- that sent it. Sets the event's status and returns {status, event_id, step_id?, error?}:
--   processed  applied (or already true: a completion for a completed step)
--   ignored    unknown event type, or nothing left to do (step skipped)
--   unmatched  no step at this partner has that external id yet: applied when the link appears
--   deferred   the step is pending or failed: applied when it is in progress again
--   rejected   the payload is malformed (the partner must fix and resend)
-- Called by receive_partner_event, replay_partner_event and the link trigger.
create or replace function private.apply_partner_event(p_event_id bigint)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_event public.partner_events;
  v_data jsonb;
  v_type text;
  v_ext text;
  v_step public.enrollment_steps;
  v_status text;
  v_error text;
  v_percent numeric;
begin
  select e.* into v_event from public.partner_events e where e.id = p_event_id for update;
  if not found then
    raise exception 'partner event % not found', p_event_id using errcode = 'PS012';
  end if;
  if v_event.status = 'processed' then
    return pg_catalog.jsonb_build_object('status', 'processed', 'event_id', v_event.id, 'step_id', v_event.step_id);
  end if;

  v_data := v_event.payload -> 'data';
  v_type := v_event.payload ->> 'type';
  v_ext := private.event_external_id(v_event.payload);

  -- the envelope: {"type": "...", "timestamp": "...", "data": {...}}
  if v_event.payload is null then
    v_status := 'rejected'; v_error := 'the body is not valid JSON';
  elsif pg_catalog.jsonb_typeof(v_event.payload) <> 'object' then
    v_status := 'rejected'; v_error := 'the body must be a JSON object';
  elsif pg_catalog.jsonb_typeof(v_event.payload -> 'type') is distinct from 'string'
        or pg_catalog.length(v_type) not between 1 and 100 then
    v_status := 'rejected'; v_error := '"type" must be a non-empty string';
  elsif pg_catalog.jsonb_typeof(v_data) is distinct from 'object' then
    v_status := 'rejected'; v_error := '"data" must be a JSON object';
  elsif v_event.payload ? 'timestamp' and (pg_catalog.jsonb_typeof(v_event.payload -> 'timestamp') <> 'string'
        or not private.is_timestamp(v_event.payload ->> 'timestamp')) then
    v_status := 'rejected'; v_error := '"timestamp" must be an ISO-8601 date-time';
  elsif v_type not in ('course.completed', 'certificate.issued', 'progress.updated', 'enrollment.created') then
    v_status := 'ignored'; v_error := pg_catalog.format('event type %s is not used by this system', v_type);
  elsif v_ext is null then
    v_status := 'rejected'; v_error := 'data.external_enrollment_id must be a non-empty string (at most 200 characters)';

  elsif v_type = 'enrollment.created' then
    if pg_catalog.jsonb_typeof(v_data -> 'reference') is distinct from 'string'
       or (v_data ->> 'reference') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      v_status := 'rejected'; v_error := 'data.reference must be the step id we sent when enrolling (a UUID)';
    elsif v_data ? 'launch_url' and v_data -> 'launch_url' <> 'null'::jsonb
          and (pg_catalog.jsonb_typeof(v_data -> 'launch_url') <> 'string' or (v_data ->> 'launch_url') !~ '^https?://') then
      v_status := 'rejected'; v_error := 'data.launch_url must be an http(s) URL';
    else
      select s.* into v_step from public.enrollment_steps s
      where s.id = (v_data ->> 'reference')::uuid and s.provider_id = v_event.provider_id;
      if not found then
        v_status := 'rejected'; v_error := 'data.reference does not name a step at this partner';
      else
        v_error := private.link_step(v_step.id, v_ext, v_data ->> 'launch_url');
        v_status := case when v_error is null then 'processed' else 'rejected' end;
      end if;
    end if;

  else
    -- course.completed, certificate.issued, progress.updated: validate, then find the step
    if v_type = 'course.completed' and (
         (pg_catalog.jsonb_typeof(v_data -> 'completed_at') <> 'null'
          and not coalesce(private.is_timestamp(v_data ->> 'completed_at'), false))
         or (pg_catalog.jsonb_typeof(v_data -> 'completedAt') <> 'null'
             and not coalesce(private.is_timestamp(v_data ->> 'completedAt'), false))) then
      v_status := 'rejected'; v_error := 'data.completed_at must be an ISO-8601 date-time';
    elsif v_type = 'course.completed' and v_data ? 'score' and v_data -> 'score' <> 'null'::jsonb
          and pg_catalog.jsonb_typeof(v_data -> 'score') <> 'number' then
      v_status := 'rejected'; v_error := 'data.score must be a number';
    elsif v_type = 'progress.updated' and (pg_catalog.jsonb_typeof(v_data -> 'percent') is distinct from 'number'
          or (v_data ->> 'percent')::numeric not between 0 and 100) then
      v_status := 'rejected'; v_error := 'data.percent must be a number from 0 to 100';
    elsif v_type = 'certificate.issued' and v_data ? 'certificate_url' and v_data -> 'certificate_url' <> 'null'::jsonb
          and (pg_catalog.jsonb_typeof(v_data -> 'certificate_url') <> 'string' or (v_data ->> 'certificate_url') !~ '^https?://') then
      v_status := 'rejected'; v_error := 'data.certificate_url must be an http(s) URL';
    else
      select s.* into v_step from public.enrollment_steps s
      where s.provider_id = v_event.provider_id and s.external_enrollment_id = v_ext;
      if not found then
        -- wait for a link being written for this id, then look again (see lock_partner_link)
        perform private.lock_partner_link(v_event.provider_id, v_ext);
        select s.* into v_step from public.enrollment_steps s
        where s.provider_id = v_event.provider_id and s.external_enrollment_id = v_ext;
      end if;
      if found then
        v_step := private.lock_step(v_step.id);  -- the step as it is now, held until commit
      end if;
      if v_step.id is null then
        v_status := 'unmatched';
        v_error := pg_catalog.format('no step at this partner has external_enrollment_id %s yet; kept and applied when it is linked', v_ext);
      elsif v_type = 'course.completed' then
        if v_step.status in ('in_progress', 'completed') then
          perform public.mark_step_complete(v_step.id, v_ext);
          update public.enrollment_steps
            set partner_result = partner_result || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                  'completed_at', coalesce(v_data -> 'completed_at', v_data -> 'completedAt'),
                  'score', v_data -> 'score', 'event_id', v_event.id))
            where id = v_step.id and not (partner_result ? 'event_id');
          v_status := 'processed';
        elsif v_step.status = 'skipped' then
          v_status := 'ignored'; v_error := 'the step was skipped by an admin';
        else
          v_status := 'deferred';
          v_error := pg_catalog.format('the step is %s; the completion is applied when it is in progress again', v_step.status);
        end if;
      elsif v_type = 'certificate.issued' then
        update public.enrollment_steps
          set partner_certificate = partner_certificate || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'certificate_id', v_data -> 'certificate_id', 'certificate_url', v_data -> 'certificate_url',
                'issued_at', v_data -> 'issued_at'))
          where id = v_step.id;
        v_status := 'processed';
      else  -- progress.updated: monotonic, ignored once completed
        v_percent := pg_catalog.floor((v_data ->> 'percent')::numeric);
        update public.enrollment_steps set progress_percent = v_percent::smallint
          where id = v_step.id and status <> 'completed' and progress_percent < v_percent;
        v_status := 'processed';
      end if;
    end if;
  end if;

  update public.partner_events
    set status = v_status, error = v_error, step_id = coalesce(v_step.id, step_id),
        attempts = attempts + 1, processed_at = pg_catalog.now()
    where id = p_event_id;
  return pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
    'status', v_status, 'event_id', p_event_id, 'step_id', v_step.id, 'error', v_error));
end
$$;
comment on function private.apply_partner_event(bigint) is 'Applies a stored partner event (partner-scoped) and records its status: processed, ignored, unmatched, deferred or rejected. PS012: no such event.';
revoke all on function private.apply_partner_event(bigint) from public, anon, authenticated;
grant execute on function private.apply_partner_event(bigint) to service_role;

-- ==== sql/functions/receive_partner_event.sql ====
-- The webhook's single round trip: store a signature-verified event in the durable inbox and
-- apply it, in one transaction. A second delivery of the same webhook-id (per partner) changes
-- nothing and answers "duplicate". The glue verifies the signature and maps the returned status
-- to HTTP; it decides nothing else. PS011: unknown partner; PS010: unusable webhook-id.
create or replace function public.receive_partner_event(
  p_provider_slug text, p_webhook_id text, p_body text)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_provider_id uuid;
  v_payload jsonb;
  v_event_id bigint;
  v_existing public.partner_events;
begin
  select p.id into v_provider_id from public.partner_lms_providers p where p.slug = p_provider_slug;
  if not found then
    raise exception 'unknown partner %', p_provider_slug using errcode = 'PS011';
  end if;
  if p_webhook_id is null or pg_catalog.length(p_webhook_id) not between 1 and 255 then
    raise exception 'webhook-id must be 1 to 255 characters' using errcode = 'PS010';
  end if;
  begin
    v_payload := p_body::jsonb;
  exception when others then
    v_payload := null;  -- stored as received and rejected by apply_partner_event
  end;

  insert into public.partner_events (provider_id, webhook_id, event_type, payload, body, external_enrollment_id)
  values (v_provider_id, p_webhook_id,
          case when pg_catalog.jsonb_typeof(v_payload -> 'type') = 'string' then pg_catalog.left(v_payload ->> 'type', 100) end,
          v_payload,
          case when v_payload is null then p_body end,
          private.event_external_id(v_payload))
  on conflict (provider_id, webhook_id) do nothing
  returning id into v_event_id;

  if v_event_id is null then
    select e.* into v_existing from public.partner_events e
    where e.provider_id = v_provider_id and e.webhook_id = p_webhook_id;
    return pg_catalog.jsonb_build_object('status', 'duplicate', 'event_id', v_existing.id,
                                         'original_status', v_existing.status);
  end if;
  return private.apply_partner_event(v_event_id);
end
$$;
comment on function public.receive_partner_event(text, text, text) is 'Webhook entry point: stores a verified partner event in the inbox (unique per partner + webhook-id) and applies it, in one transaction. Returns {status: processed|duplicate|ignored|unmatched|deferred|rejected, event_id, ...}. PS010, PS011.';
revoke all on function public.receive_partner_event(text, text, text) from public, anon, authenticated;
grant execute on function public.receive_partner_event(text, text, text) to service_role;

-- ==== sql/functions/replay_partner_event.sql ====
-- Re-apply a stored partner event through the same path as its first delivery (for unmatched,
-- deferred, rejected or ignored events; a processed event is left as it is).
create or replace function public.replay_partner_event(p_event_id bigint)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  return private.apply_partner_event(p_event_id);
end
$$;
comment on function public.replay_partner_event(bigint) is 'Re-applies a stored partner event (used by the replay-events command and the admin dashboard). PS012: no such event.';
revoke all on function public.replay_partner_event(bigint) from public, anon, authenticated;
grant execute on function public.replay_partner_event(bigint) to service_role;

-- ==== sql/functions/get_partner_slugs.sql ====
-- The slugs of all partners (the webhook endpoint's 404 check, cached by the glue).
create or replace function public.get_partner_slugs()
returns text[]
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(p.slug order by p.slug), '{}') from public.partner_lms_providers p
$$;
comment on function public.get_partner_slugs() is 'All partner slugs, sorted (used by the webhook endpoint to answer 404 for unknown partners).';
revoke all on function public.get_partner_slugs() from public, anon, authenticated;
grant execute on function public.get_partner_slugs() to service_role;

-- ==== sql/functions/tg_enrollment_steps__apply_waiting_events.sql ====
-- Nothing is lost: when a step gets its partner enrollment id (enrollment.created, the worker's
-- enrollment call, an admin entering it) or is back in progress (admin retry), the events that
-- were waiting for it (unmatched or deferred) are applied, oldest first, in the same transaction.
create or replace function private.tg_enrollment_steps__apply_waiting_events()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_event_id bigint;
begin
  for v_event_id in
    select e.id from public.partner_events e
    where e.provider_id = new.provider_id and e.external_enrollment_id = new.external_enrollment_id
      and e.status in ('unmatched', 'deferred')
    order by e.id
  loop
    perform private.apply_partner_event(v_event_id);
  end loop;
  return null;
end
$$;
comment on function private.tg_enrollment_steps__apply_waiting_events() is 'After a step is linked to a partner id or restarted: applies the unmatched/deferred partner events waiting for it.';
revoke all on function private.tg_enrollment_steps__apply_waiting_events() from public, anon, authenticated;

create or replace trigger enrollment_steps_apply_waiting_events
  after update of external_enrollment_id, status on public.enrollment_steps
  for each row
  when (new.external_enrollment_id is not null
        and (old.external_enrollment_id is distinct from new.external_enrollment_id
             or (new.status = 'in_progress' and old.status <> 'in_progress')))
  execute function private.tg_enrollment_steps__apply_waiting_events();

-- ==== sql/policies/partner_events.sql ====
drop policy if exists "Admins can read partner events" on public.partner_events;
create policy "Admins can read partner events" on public.partner_events
  for select to authenticated using ((select private.is_admin()));
