-- The signed-in student's signed credentials (row level security: her own; an admin's own too,
-- filtered on auth.uid() like student_progress), for the progress page and the downloads.
create or replace function public.my_credentials()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('certificate_id', r.certificate_id, 'jwt', r.jwt)
                                       order by r.issued_at), '[]'::jsonb)
  from public.credentials r
  join public.certificates c on c.id = r.certificate_id
  join public.enrollments e on e.id = c.enrollment_id
  where r.jwt is not null and e.user_id = (select auth.uid())
$$;
comment on function public.my_credentials() is 'The caller''s signed Open Badges credentials: [{certificate_id, jwt}] (RLS: her own).';
revoke all on function public.my_credentials() from public, anon, authenticated;
grant execute on function public.my_credentials() to authenticated, service_role;
