-- Issue 11, SQL out of Python: the pages' and the CLI's queries as SQL functions called through the
-- rpc transport, and the rules they share defined once (sources: sql/functions/{private,public}/).

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- The one definition of a finished step: completed or skipped (a failed step is not finished).
-- The student page's "n / m partners complete" counts with it; is_enrollment_complete should too.
create or replace function private.step_is_done(p_status text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_status in ('completed', 'skipped')
$$;
comment on function private.step_is_done(text) is 'True for a finished step status: completed or skipped (failed is not finished). The one definition of the done-set.';
revoke all on function private.step_is_done(text) from public, anon, authenticated;
grant execute on function private.step_is_done(text) to authenticated, service_role;

-- The one definition of "waiting for someone to enroll the student by hand": the step is in
-- progress at a partner without an API (manual adapter) and nobody has entered the partner's
-- enrollment id yet. The student page says so ("our team enrolls you"); the admin dashboard's
-- "Awaiting manual enrollment" list (monitor_awaiting_enrollment) should select with it too.
create or replace function private.step_awaits_manual_enrollment(
  p_status text, p_adapter text, p_external_enrollment_id text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_status = 'in_progress' and p_adapter = 'manual' and p_external_enrollment_id is null
$$;
comment on function private.step_awaits_manual_enrollment(text, text, text) is 'True when a step is in progress at a manual partner and has no partner enrollment id yet: someone must enroll the student by hand.';
revoke all on function private.step_awaits_manual_enrollment(text, text, text) from public, anon, authenticated;
grant execute on function private.step_awaits_manual_enrollment(text, text, text) to authenticated, service_role;

-- A launch URL only when it is http(s): anything else (e.g. `javascript:`) is never a link. The
-- column is constrained too; this keeps the page safe even if that constraint were relaxed.
create or replace function private.safe_launch_url(p_url text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when pg_catalog.lower(p_url) like 'https://%' or pg_catalog.lower(p_url) like 'http://%' then p_url end
$$;
comment on function private.safe_launch_url(text) is 'The URL when it starts with http:// or https:// (any case), else null: what may become a link.';
revoke all on function private.safe_launch_url(text) from public, anon, authenticated;
grant execute on function private.safe_launch_url(text) to authenticated, service_role;

-- What the student is told about a step, as one word the page switches on: completed, skipped,
-- failed, pending, or for the step in progress: launch (the training can be started), manual
-- (our team enrolls the student by hand: private.step_awaits_manual_enrollment), linked
-- (enrolled by hand, no launch link: instructions by email) or setup (the partner account is
-- being created through its API).
create or replace function private.step_display_state(
  p_status text, p_adapter text, p_external_enrollment_id text, p_launch_url text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when p_status <> 'in_progress' then p_status
    when private.safe_launch_url(p_launch_url) is not null then 'launch'
    when private.step_awaits_manual_enrollment(p_status, p_adapter, p_external_enrollment_id) then 'manual'
    when p_adapter = 'manual' then 'linked'
    else 'setup'
  end
$$;
comment on function private.step_display_state(text, text, text, text) is 'The student-facing state of a step: completed, skipped, failed, pending, launch, manual, linked or setup.';
revoke all on function private.step_display_state(text, text, text, text) from public, anon, authenticated;
grant execute on function private.step_display_state(text, text, text, text) to authenticated, service_role;

-- The one definition of the partner events an admin may need to act on: "waiting" for their step
-- (unmatched: no step has the partner's enrollment id yet; deferred: the step is not ready for
-- it yet) and, with p_include_rejected, rejected ones (e.g. replayable after fixing a step).
-- Used by the dashboard's "Webhook events to review" count (admin_dashboard), the CLI's
-- `replay-events --unmatched/--rejected` (partner_events_to_replay); monitor_waiting_events
-- should select with it too.
create or replace function private.waiting_event_statuses(p_include_rejected boolean default true)
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when p_include_rejected then array['unmatched', 'deferred', 'rejected']
              else array['unmatched', 'deferred'] end
$$;
comment on function private.waiting_event_statuses(boolean) is 'Partner event statuses that wait for a step (unmatched, deferred) and, by default, rejected: the events to review or replay.';
revoke all on function private.waiting_event_statuses(boolean) from public, anon, authenticated;
grant execute on function private.waiting_event_statuses(boolean) to authenticated, service_role;

-- The signed-in user's own enrollments, as the progress page shows them: each with its program,
-- its certificate (whether the PDF is ready, never the bytes), its steps in sequence order with
-- the state the student is told (private.step_display_state) and the counts of the progress bar
-- (finished = private.step_is_done). Active first, then completed, then the rest; newest first.
-- Security invoker: row level security decides what is visible, and the filter on auth.uid()
-- makes an admin see their own enrollments rather than everybody's. Only partner columns granted
-- to `authenticated` are read, and a step's error_message is never selected: students never see
-- raw partner errors. A launch URL is returned only when it is http(s).
create or replace function public.student_progress()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(x.enrollment order by x.rank, x.enrolled_at desc), '[]'::jsonb)
  from (
    select case e.status when 'active' then 0 when 'completed' then 1 else 2 end as rank,
           e.enrolled_at,
           pg_catalog.jsonb_build_object(
             'id', e.id,
             'status', e.status,
             'enrolled_at', e.enrolled_at,
             'completed_at', e.completed_at,
             'program_name', p.name,
             'certificate', case when c.id is not null then pg_catalog.jsonb_build_object(
               'id', c.id,
               'verification_code', c.verification_code,
               'issued_at', c.issued_at,
               'revoked_at', c.revoked_at,
               'ready', c.pdf is not null) end,
             'total', coalesce(st.total, 0),
             'done', coalesce(st.done, 0),
             'percent', case when coalesce(st.total, 0) = 0 then 0
                             -- float8 like the page always computed it (round half to even)
                             else pg_catalog.round((100 * st.done)::float8 / st.total)::integer end,
             'steps', coalesce(st.steps, '[]'::jsonb)) as enrollment
      from public.enrollments e
      join public.programs p on p.id = e.program_id
      left join public.certificates c on c.enrollment_id = e.id
      left join lateral (
        select count(*)::integer as total,
               (count(*) filter (where private.step_is_done(s.status)))::integer as done,
               pg_catalog.jsonb_agg(
                 pg_catalog.jsonb_build_object(
                   'id', s.id,
                   'sequence_order', s.sequence_order,
                   'status', s.status,
                   'state', private.step_display_state(s.status, pr.adapter, s.external_enrollment_id, s.launch_url),
                   'is_required', s.is_required,
                   'started_at', s.started_at,
                   'completed_at', s.completed_at,
                   'linked', s.external_enrollment_id is not null,
                   'launch_url', private.safe_launch_url(s.launch_url),
                   'progress_percent', s.progress_percent,
                   'provider_name', pr.provider_name,
                   'provider_slug', pr.slug,
                   'adapter', pr.adapter
                 ) order by s.sequence_order) as steps
          from public.enrollment_steps s
          join public.partner_lms_providers pr on pr.id = s.provider_id
         where s.enrollment_id = e.id
      ) st on true
     where e.user_id = (select auth.uid())
  ) x
$$;
comment on function public.student_progress() is 'The signed-in user''s enrollments with program, certificate (ready or not), steps in order with their student-facing state, and progress counts, as JSON. Security invoker: RLS decides; never exposes partner errors.';
revoke all on function public.student_progress() from public, anon, authenticated;
grant execute on function public.student_progress() to authenticated, service_role;

-- The signed-in user's certificate PDF, for the download link: {"id", "pdf"} with the PDF as
-- base64 text (JSON carries it the same over a direct connection and over the Data API), pdf
-- null while it is being prepared; null when there is no such certificate for this user.
-- Security invoker: row level security returns nothing for someone else's certificate.
create or replace function public.certificate_pdf(p_certificate_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('id', c.id, 'pdf', pg_catalog.encode(c.pdf, 'base64'))
  from public.certificates c
  where c.id = p_certificate_id
$$;
comment on function public.certificate_pdf(uuid) is 'A certificate''s PDF as base64 ({"id", "pdf"}; pdf null while being prepared), or null when the caller may not see it (RLS).';
revoke all on function public.certificate_pdf(uuid) from public, anon, authenticated;
grant execute on function public.certificate_pdf(uuid) to authenticated, service_role;

-- The demo users the development sign-in page offers (only when DEV_LOGIN is on): profiles with
-- an @example.org address, admins first by role name, then by email. Service role only.
create or replace function public.demo_users()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(
           pg_catalog.jsonb_build_object('id', p.id, 'email', p.email, 'full_name', p.full_name, 'role', p.role)
           order by p.role, p.email), '[]'::jsonb)
  from public.profiles p
  where p.email like '%@example.org'
$$;
comment on function public.demo_users() is 'Demo users (profiles at @example.org) for the development sign-in page, ordered by role and email. Service role only.';
revoke all on function public.demo_users() from public, anon, authenticated;
grant execute on function public.demo_users() to service_role;

-- The ids of the stored partner events `replay-events` should re-apply: with p_waiting those
-- still waiting for their step, with p_rejected the rejected ones (private.waiting_event_statuses
-- is the one definition), optionally of one partner (p_partner_slug), oldest id first. An array,
-- so it is one value over a direct connection and over the Data API alike. Service role only.
create or replace function public.partner_events_to_replay(
  p_waiting boolean default true, p_rejected boolean default false, p_partner_slug text default null)
returns bigint[]
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(e.id order by e.id), '{}')
  from public.partner_events e
  join public.partner_lms_providers v on v.id = e.provider_id
  where (p_partner_slug is null or v.slug = p_partner_slug)
    and ((p_waiting and e.status = any (private.waiting_event_statuses(false)))
         or (p_rejected and e.status = 'rejected'))
$$;
comment on function public.partner_events_to_replay(boolean, boolean, text) is 'Ids of partner events to replay: waiting (unmatched, deferred) and/or rejected, optionally of one partner, in id order. Service role only.';
revoke all on function public.partner_events_to_replay(boolean, boolean, text) from public, anon, authenticated;
grant execute on function public.partner_events_to_replay(boolean, boolean, text) to service_role;

-- The admin dashboard in one call: every panel (the monitor_* functions), the page's filters
-- applied (p_program: a program slug, p_partner: a partner slug; null shows all), the headline
-- numbers computed over the filtered panels, and the unfiltered choices of the filter menus.
-- Lists are capped at p_rows rows (the counts come from the snapshot, not from the lists);
-- a step is stuck after p_stuck_days days in progress.
-- Security invoker: each monitor_* function checks that the caller is an admin (42501 otherwise).
--   panels: pipeline, programs, stuck, bottlenecks, funnel, weekly, failed, awaiting,
--           partner_events, waiting_events, queues
--   summary: in_progress, completed_steps, stuck, failed, awaiting (a number, or "<p_rows>+"
--           when the list is full), waiting_events (private.waiting_event_statuses), refreshed_at
--   all_programs: [[slug, name], ...]; all_providers: [[slug, name], ...]
create or replace function public.admin_dashboard(
  p_program text default null, p_partner text default null, p_rows integer default 50,
  p_stuck_days integer default 7)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v jsonb;
  v_program_name text;
  v_key text;
begin
  v := pg_catalog.jsonb_build_object(
    'pipeline', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_pipeline() p),
    'programs', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_program_completion() p),
    'stuck', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_stuck_students(p_stuck_days, p_rows) p),
    'bottlenecks', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_bottlenecks() p),
    'funnel', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_funnel(p_program) p),
    'weekly', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_weekly_completions(12) p),
    'failed', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_failed_enrollments(p_rows) p),
    'awaiting', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_awaiting_enrollment(p_rows) p),
    'partner_events', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_partner_events() p),
    'waiting_events', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_waiting_events(p_rows) p),
    'queues', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_queues() p));

  -- the filter menus offer everything, whatever is filtered
  v := v || pg_catalog.jsonb_build_object(
    'all_programs', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(x ->> 'program_slug', x ->> 'program_name') order by t.n), '[]')
                     from pg_catalog.jsonb_array_elements(v -> 'programs') with ordinality t(x, n)),
    'all_providers', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(x ->> 'provider_slug', x ->> 'provider_name') order by t.n), '[]')
                      from pg_catalog.jsonb_array_elements(v -> 'pipeline') with ordinality t(x, n)));

  -- the filters: a row with a provider_slug must match the partner; a row with a program_slug
  -- (or else a program_name) must match the program
  select x ->> 'program_name' into v_program_name
  from pg_catalog.jsonb_array_elements(v -> 'programs') x where x ->> 'program_slug' = p_program limit 1;
  foreach v_key in array array['pipeline', 'stuck', 'bottlenecks', 'failed', 'awaiting', 'partner_events',
                               'waiting_events', 'programs'] loop
    v := pg_catalog.jsonb_set(v, array[v_key], (
      select coalesce(pg_catalog.jsonb_agg(x order by t.n), '[]')
      from pg_catalog.jsonb_array_elements(v -> v_key) with ordinality t(x, n)
      where not (p_partner is not null and x ? 'provider_slug' and x ->> 'provider_slug' is distinct from p_partner)
        and case
              when p_program is not null and x ? 'program_slug' then x ->> 'program_slug' is not distinct from p_program
              when p_program is not null and x ? 'program_name' then x ->> 'program_name' is not distinct from v_program_name
              else true
            end));
  end loop;

  -- the headline numbers: totals from SQL over the filtered panels (not the capped list lengths)
  return v || pg_catalog.jsonb_build_object('summary', pg_catalog.jsonb_build_object(
    'in_progress', (select coalesce(sum((x ->> 'in_progress')::integer), 0) from pg_catalog.jsonb_array_elements(v -> 'pipeline') x),
    'completed_steps', (select coalesce(sum((x ->> 'completed')::integer), 0) from pg_catalog.jsonb_array_elements(v -> 'pipeline') x),
    'stuck', (select coalesce(sum((x ->> 'stuck')::integer), 0) from pg_catalog.jsonb_array_elements(v -> 'bottlenecks') x),
    'failed', (select coalesce(sum((x ->> 'failed')::integer), 0) from pg_catalog.jsonb_array_elements(v -> 'pipeline') x),
    'awaiting', case when pg_catalog.jsonb_array_length(v -> 'awaiting') >= p_rows then pg_catalog.to_jsonb(p_rows || '+')
                     else pg_catalog.to_jsonb(pg_catalog.jsonb_array_length(v -> 'awaiting')) end,
    'waiting_events', (select coalesce(sum((x ->> s)::integer), 0)
                       from pg_catalog.jsonb_array_elements(v -> 'partner_events') x
                       cross join pg_catalog.unnest(private.waiting_event_statuses()) s),
    'refreshed_at', v -> 'pipeline' -> 0 -> 'refreshed_at'));
end
$$;
comment on function public.admin_dashboard(text, text, integer, integer) is 'The admin dashboard as JSON: every monitoring panel filtered by program and partner slug, the headline numbers, the filter menus. Admins only (42501).';
revoke all on function public.admin_dashboard(text, text, integer, integer) from public, anon, authenticated;
grant execute on function public.admin_dashboard(text, text, integer, integer) to authenticated, service_role;
