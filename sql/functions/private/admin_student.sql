-- One student for the admin's per-student page (Open edX learner record / Moodle program
-- report): her profile; each enrollment with its certificate and steps (due date, late, the
-- overrides each accepts: private.step_actions) and each step's history as a timeline from the
-- audit trail (step_transitions: from/to, who, why, when, and the partner event or admin override
-- of that same transaction); the emails sent to her, the jobs and partner events about her and
-- the admin actions on her enrollments. 42501 unless the caller is an admin; PS001 when nobody
-- has that id.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_student (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_student(p_user_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
declare
  v_profile jsonb;
  v_email text;
begin
  perform private.admin_caller();
  select pg_catalog.jsonb_build_object('user_id', p.id, 'student_name', coalesce(nullif(p.full_name, ''), p.email),
                                       'email', p.email, 'role', p.role, 'joined_at', p.created_at), p.email
    into v_profile, v_email
  from public.profiles p where p.id = p_user_id;
  if not found then
    raise exception 'no student %', p_user_id using errcode = 'PS001';
  end if;
  return v_profile || pg_catalog.jsonb_build_object(
    'enrollments', (
      select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'enrollment_id', e.id, 'program_name', g.name, 'program_slug', g.slug, 'status', e.status,
               'enrolled_at', e.enrolled_at, 'completed_at', e.completed_at,
               'certificate', (select pg_catalog.jsonb_build_object(
                                        'certificate_id', c.id, 'verification_code', c.verification_code,
                                        'issued_at', c.issued_at, 'revoked_at', c.revoked_at,
                                        'revoked_reason', c.revoked_reason, 'pdf_ready', c.pdf is not null)
                               from public.certificates c where c.enrollment_id = e.id),
               'steps', (
                 select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                          'step_id', s.id, 'sequence_order', s.sequence_order, 'provider_name', v.provider_name,
                          'provider_slug', v.slug, 'status', s.status, 'started_at', s.started_at,
                          'completed_at', s.completed_at, 'external_enrollment_id', s.external_enrollment_id,
                          'launch_url', s.launch_url, 'progress_percent', s.progress_percent,
                          'error_message', s.error_message, 'is_required', s.is_required,
                          'due_at', case when s.status in ('in_progress', 'failed') then d.due_at end,
                          'late', s.status = 'in_progress' and d.due_at < pg_catalog.now(),
                          'actions', case when e.status = 'active' then pg_catalog.to_jsonb(private.step_actions(s.status))
                                          else '[]'::jsonb end,
                          'history', (
                            select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                     'at', t.created_at, 'from_status', t.from_status, 'to_status', t.to_status,
                                     'actor_role', t.actor_role,
                                     'actor_name', coalesce(nullif(ap.full_name, ''), ap.email),
                                     'reason', nullif(t.reason, ''),
                                     'event_id', x.id, 'event_type', x.event_type, 'admin_action', aa.action)
                                     order by t.id), '[]')
                            from public.step_transitions t
                            left join public.profiles ap on ap.id = t.actor_id
                            left join lateral (select x.id, x.event_type from public.partner_events x
                                               where x.step_id = t.step_id and x.processed_at = t.created_at
                                               order by x.id limit 1) x on true
                            left join lateral (select a.action from public.admin_actions a
                                               where a.created_at = t.created_at
                                                 and pg_catalog.split_part(a.target, ' ', 1) = t.step_id::text
                                               order by a.id limit 1) aa on true
                            where t.step_id = s.id))
                        order by s.sequence_order)
                 from public.enrollment_steps s
                 join public.partner_lms_providers v on v.id = s.provider_id
                 left join public.program_partner_lms m on m.program_id = e.program_id and m.sequence_order = s.sequence_order
                 cross join lateral (select private.step_due_at(s.started_at, m.expected_days, v.expected_days) as due_at) d
                 where s.enrollment_id = e.id))
             order by e.enrolled_at desc), '[]')
      from public.enrollments e join public.programs g on g.id = e.program_id
      where e.user_id = p_user_id),
    'emails', (
      select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'template', m.template, 'subject', m.subject, 'status', m.status, 'to_address', m.to_address,
               'created_at', m.created_at, 'sent_at', m.sent_at, 'attempts', m.attempts) order by m.id desc), '[]')
      from public.email_sends m where m.user_id = p_user_id),
    'jobs', case when v_email is null then '[]'::jsonb
                 else private.admin_list('jobs', null, null, null, v_email, null, 1, 100) -> 'rows' end,
    'events', case when v_email is null then '[]'::jsonb
                   else private.admin_list('events', null, null, null, v_email, null, 1, 100) -> 'rows' end,
    'admin_actions', (
      select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'at', a.created_at, 'action', a.action, 'reason', a.reason, 'actor_role', a.actor_role,
               'actor_name', coalesce(nullif(ap.full_name, ''), ap.email, a.actor_role)) order by a.id desc), '[]')
      from public.admin_actions a
      left join public.profiles ap on ap.id = a.actor_id
      where pg_catalog.split_part(a.target, ' ', 1) in (
        select s.id::text from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id
        where e.user_id = p_user_id
        union all select e.id::text from public.enrollments e where e.user_id = p_user_id
        union all select c.id::text from public.certificates c join public.enrollments e on e.id = c.enrollment_id
                  where e.user_id = p_user_id)));
end
$$;
comment on function private.admin_student(uuid) is 'Body of public.admin_student (security definer, outside the exposed schema): one student''s enrollments, steps with their audit timeline, certificate, emails, jobs, events and admin actions. Admins only (42501); PS001 for an unknown user.';
revoke all on function private.admin_student(uuid) from public, anon, authenticated;
grant execute on function private.admin_student(uuid) to authenticated, service_role;
