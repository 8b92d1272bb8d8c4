drop policy if exists "Students can read their own credentials and admins all" on public.credentials;
create policy "Students can read their own credentials and admins all" on public.credentials
  for select to authenticated
  using (
    (select private.is_admin())
    or exists (
      select 1 from public.certificates c join public.enrollments e on e.id = c.enrollment_id
      where c.id = certificate_id and e.user_id = (select auth.uid()))
  );
