-- Public certificate verification by its unguessable code (the /certificates/<code> page).
-- security definer so anonymous visitors can check a code; it reveals only what the printed
-- certificate shows, and only to someone holding the code.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.verify_certificate is its security invoker entry point. Visitors (anon) reach the body
-- through it, so they may look up names in private (usage granted in sql/schemas/private.sql);
-- every private function revokes execute from anon and PUBLIC, and this body is the only one
-- granted to anon.
create or replace function private.verify_certificate(p_code text)
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
comment on function private.verify_certificate(text) is 'Body of public.verify_certificate (security definer, outside the exposed schema): Public check of a certificate code: {status valid|revoked, student_name, program_name, issued_at}, or null for an unknown code.';
revoke all on function private.verify_certificate(text) from public, anon, authenticated;
grant execute on function private.verify_certificate(text) to anon, authenticated, service_role;
