drop policy if exists "Students can read their own enrollments and admins all" on public.enrollments;
create policy "Students can read their own enrollments and admins all" on public.enrollments
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));
