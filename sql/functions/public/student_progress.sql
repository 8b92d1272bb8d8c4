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
