-- Issue 13, the student's page: a linked step without a launch link is "linked" (never "setup"
-- forever), who acts next, the program's expected days per step (program_partner_lms.expected_days,
-- nullable: the partner's default otherwise), due dates and the estimated completion, partner
-- scores and certificates, and each step's history from the audit trail.
select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- program_partner_lms.expected_days itself comes from 20261203300000_admin_lists (the operator's
-- due dates use the same column).




-- ==== sql/functions/private/step_display_state.sql ====
-- What the student is told about a step, as one word the page switches on: completed, skipped,
-- failed, pending, or for the step in progress:
--   launch  the training can be started (an http(s) launch link): she acts;
--   manual  our team enrolls her by hand (private.step_awaits_manual_enrollment): staff act;
--   linked  she is enrolled at the partner (it gave its enrollment id, whatever the adapter) but
--           sent no launch link: she starts from the partner's own email or site;
--   setup   the partner account is being created through its API (no partner id yet).
-- A linked step without a link is never "setup": the partner already answered (issue 13).
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
    when p_external_enrollment_id is not null then 'linked'
    else 'setup'
  end
$$;
comment on function private.step_display_state(text, text, text, text) is 'The student-facing state of a step: completed, skipped, failed, pending, launch, manual, linked (partner id, no link) or setup (no partner id yet).';
revoke all on function private.step_display_state(text, text, text, text) from public, anon, authenticated;
grant execute on function private.step_display_state(text, text, text, text) to authenticated, service_role;

-- ==== sql/functions/private/step_who_acts.sql ====
-- Who has to act next on a step, from the student-facing state (private.step_display_state, or
-- setup_slow): `student` (she starts or continues her training), `staff` (our team enrolls her
-- by hand, or fixes a problem), `system` (the partner account is being created through its API),
-- or null (nothing to do: finished, or waiting for an earlier step). The page says it in words.
create or replace function private.step_who_acts(p_state text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case p_state
    when 'launch' then 'student'
    when 'linked' then 'student'
    when 'manual' then 'staff'
    when 'failed' then 'staff'
    when 'setup_slow' then 'staff'
    when 'setup' then 'system'
  end
$$;
comment on function private.step_who_acts(text) is 'Who acts next on a step in this student-facing state: student, staff, system, or null (nobody: finished or waiting for an earlier step).';
revoke all on function private.step_who_acts(text) from public, anon, authenticated;
grant execute on function private.step_who_acts(text) to authenticated, service_role;

-- ==== sql/functions/private/student_step_history.sql ====
-- What happened to one of the caller's own steps, from the audit trail (step_transitions), oldest
-- first, as the student may see it: when, from which status to which, and whether our staff did
-- it (`by`: staff | system). Never the recorded reason or the actor's id (a reason may carry a
-- partner's raw error or an admin's note). Security definer because students cannot read the
-- audit trail itself (its policy is admins-only); it answers only about steps of enrollments the
-- caller owns (auth.uid()), so another student's step id gives an empty list.
create or replace function private.student_step_history(p_step_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'at', t.created_at,
           'from', t.from_status,
           'to', t.to_status,
           'by', case when t.actor_role = 'admin' then 'staff' else 'system' end)
         order by t.created_at, t.id), '[]'::jsonb)
  from public.step_transitions t
  join public.enrollments e on e.id = t.enrollment_id
  where t.step_id = p_step_id
    and e.user_id = (select auth.uid())
$$;
comment on function private.student_step_history(uuid) is 'The caller''s own step''s history from the audit trail (at, from, to, by staff|system), oldest first; empty for anyone else''s step. Never the reason or the actor id.';
revoke all on function private.student_step_history(uuid) from public, anon, authenticated;
grant execute on function private.student_step_history(uuid) to authenticated, service_role;

-- ==== sql/functions/public/student_progress.sql ====
-- The signed-in user's own enrollments, as the progress page shows them: each with its program,
-- its certificate (whether the PDF is ready, never the bytes), its steps in sequence order and
-- the counts of the progress bar (finished = private.step_is_done). Active first, then completed,
-- then the rest; newest first.
-- Each step carries:
--   state      what the student is told (private.step_display_state; a step still being set up
--              through the partner's API after an hour is `setup_slow`; an unfinished step of a
--              cancelled enrollment is `cancelled`: nobody acts on it any more);
--   who_acts   who acts next (private.step_who_acts): student, staff, system or null;
--   expected_days  the program's expected duration for this step (program_partner_lms), else the
--              partner's default (partner_lms_providers.expected_days);
--   due_at     for an unfinished step of an active enrollment: when it is expected to be done.
--              The first unfinished step is due expected_days after it started (or from now if it
--              has not started); each later one expected_days after the one before, counted from
--              now when the first is already late. `late`: the step in progress is past due;
--   score, partner_completed_at, partner_certificate (id, http(s) url, issued_at): what the
--              partner sent with its events (partner_result, partner_certificate);
--   history    what happened, from the audit trail (private.student_step_history).
-- Each enrollment carries estimated_completion_at (the last unfinished step's due_at, active
-- enrollments only) and `version`, which changes when anything shown changes (the page's live
-- refresh compares it).
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
             'estimated_completion_at', st.estimated_completion_at,
             'version', pg_catalog.md5(pg_catalog.concat_ws('|', e.status, e.completed_at, c.id, c.pdf is not null,
                                                            c.revoked_at, st.fingerprint)),
             'steps', coalesce(st.steps, '[]'::jsonb)) as enrollment
      from public.enrollments e
      join public.programs p on p.id = e.program_id
      left join public.certificates c on c.enrollment_id = e.id
      left join lateral (
        select count(*)::integer as total,
               (count(*) filter (where private.step_is_done(z.status)))::integer as done,
               pg_catalog.max(z.due_at) as estimated_completion_at,
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(z.id, z.status, z.state, z.updated_at,
                                                                 z.progress_percent, z.launch_url)
                                    order by z.sequence_order)::text as fingerprint,
               pg_catalog.jsonb_agg(
                 pg_catalog.jsonb_build_object(
                   'id', z.id,
                   'sequence_order', z.sequence_order,
                   'status', z.status,
                   'state', z.state,
                   'who_acts', private.step_who_acts(z.state),
                   'is_required', z.is_required,
                   'started_at', z.started_at,
                   'completed_at', z.completed_at,
                   'linked', z.external_enrollment_id is not null,
                   'launch_url', private.safe_launch_url(z.launch_url),
                   'progress_percent', z.progress_percent,
                   'expected_days', z.days,
                   'due_at', z.due_at,
                   'late', coalesce(z.status = 'in_progress' and z.due_at < pg_catalog.now(), false),
                   'score', case when pg_catalog.jsonb_typeof(z.partner_result -> 'score') = 'number'
                                 then z.partner_result -> 'score' end,
                   'partner_completed_at', z.partner_result -> 'completed_at',
                   'partner_certificate', case when z.partner_certificate <> '{}'::jsonb then
                     pg_catalog.jsonb_build_object(
                       'id', z.partner_certificate ->> 'certificate_id',
                       'url', private.safe_launch_url(z.partner_certificate ->> 'certificate_url'),
                       'issued_at', z.partner_certificate -> 'issued_at') end,
                   'history', private.student_step_history(z.id),
                   'provider_name', z.provider_name,
                   'provider_slug', z.slug,
                   'adapter', z.adapter
                 ) order by z.sequence_order) as steps
          from (
            select y.*,
                   case when y.open and e.status = 'active' then
                     case when y.sequence_order = y.first_order
                          then y.anchor + pg_catalog.make_interval(days => y.days)
                          else greatest(y.anchor + pg_catalog.make_interval(days => y.first_days),
                                                   pg_catalog.now())
                               + pg_catalog.make_interval(days => (y.running_days - y.first_days)::integer)
                     end
                   end as due_at
              from (
                select w.*,
                       pg_catalog.max(w.days) filter (where w.sequence_order = w.first_order) over () as first_days,
                       pg_catalog.max(case when w.status = 'pending' then pg_catalog.now() else w.started_at end)
                         filter (where w.sequence_order = w.first_order) over () as anchor
                  from (
                    select v.*,
                           pg_catalog.sum(v.days) filter (where v.open) over (order by v.sequence_order) as running_days,
                           pg_catalog.min(v.sequence_order) filter (where v.open) over () as first_order
                      from (
                        select s.id, s.sequence_order, s.status, s.is_required, s.started_at, s.completed_at,
                               s.updated_at, s.external_enrollment_id, s.launch_url, s.progress_percent,
                               s.partner_result, s.partner_certificate,
                               pr.provider_name, pr.slug, pr.adapter,
                               coalesce(ppl.expected_days, pr.expected_days) as days,
                               s.status in ('pending', 'in_progress', 'failed') as open,
                               case when e.status = 'cancelled' and s.status in ('pending', 'in_progress', 'failed')
                                    then 'cancelled'
                                    when private.step_display_state(s.status, pr.adapter, s.external_enrollment_id,
                                                                    s.launch_url) = 'setup'
                                         and s.started_at < pg_catalog.now() - interval '1 hour'
                                    then 'setup_slow'
                                    else private.step_display_state(s.status, pr.adapter, s.external_enrollment_id,
                                                                    s.launch_url)
                               end as state
                          from public.enrollment_steps s
                          join public.partner_lms_providers pr on pr.id = s.provider_id
                          left join public.program_partner_lms ppl
                            on ppl.program_id = e.program_id and ppl.sequence_order = s.sequence_order
                           and ppl.provider_id = s.provider_id
                         where s.enrollment_id = e.id
                      ) v
                  ) w
              ) y
          ) z
      ) st on true
     where e.user_id = (select auth.uid())
  ) x
$$;
comment on function public.student_progress() is 'The signed-in user''s enrollments with program, certificate (ready or not), steps in order with their student-facing state, who acts next, expected days, due dates, partner scores and certificates and history, progress counts and estimated completion, as JSON. Security invoker: RLS decides; never exposes partner errors.';
revoke all on function public.student_progress() from public, anon, authenticated;
grant execute on function public.student_progress() to authenticated, service_role;
