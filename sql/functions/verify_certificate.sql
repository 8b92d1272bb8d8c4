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
