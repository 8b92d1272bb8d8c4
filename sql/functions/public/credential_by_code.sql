-- The public verify page (/certificates/<code>): the certificate's signed credential (null while
-- not signed) and its waived steps, for whoever holds the code printed on the certificate.
create or replace function public.credential_by_code(p_code text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'certificate_id', c.id, 'jwt', r.jwt,
    'waived_steps', coalesce((select pg_catalog.jsonb_agg(v.provider_name order by s.sequence_order)
                              from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id
                              where s.enrollment_id = c.enrollment_id and s.status = 'skipped'), '[]'::jsonb))
  from public.certificates c left join public.credentials r on r.certificate_id = c.id
  where c.verification_code = p_code and p_code ~ '^[0-9a-f]{32}$'
$$;
comment on function public.credential_by_code(text) is 'For the verify page: {certificate_id, jwt (null until signed), waived_steps [partner names]} of the certificate with that code, or null.';
revoke all on function public.credential_by_code(text) from public, anon, authenticated;
grant execute on function public.credential_by_code(text) to service_role;
