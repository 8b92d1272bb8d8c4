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
