-- The Data API entry point (/rest/v1/rpc/verify_certificate): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.verify_certificate(p_code text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.verify_certificate(p_code)
$$;
comment on function public.verify_certificate(text) is 'Public check of a certificate code: {status valid|revoked, student_name, program_name, issued_at}, or null for an unknown code.';
revoke all on function public.verify_certificate(text) from public, anon, authenticated;
grant execute on function public.verify_certificate(text) to anon, authenticated, service_role;
