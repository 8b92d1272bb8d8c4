drop policy if exists "Students can read their own certificates and admins all" on public.certificates;
create policy "Students can read their own certificates and admins all" on public.certificates
  for select to authenticated
  using (
    (select private.is_admin())
    or exists (select 1 from public.enrollments e where e.id = enrollment_id and e.user_id = (select auth.uid()))
  );
