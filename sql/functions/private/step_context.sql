-- Everything the outside world needs to know about a step (partner enrollment calls, emails):
-- student, program, partner and position, as one JSON object.
create or replace function private.step_context(p_step_id uuid)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return (
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
  );
end
$$;
comment on function private.step_context(uuid) is 'Student, program, partner and position of a step as JSON (for partner calls and emails).';
revoke all on function private.step_context(uuid) from public, anon, authenticated;
grant execute on function private.step_context(uuid) to service_role;
