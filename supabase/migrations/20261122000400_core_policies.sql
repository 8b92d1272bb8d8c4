-- Row level security policies. Sources: sql/policies/*.sql (one file per table).

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- ==== sql/policies/enrollment_steps.sql ====
drop policy if exists "Students can read their own steps and admins all" on public.enrollment_steps;
create policy "Students can read their own steps and admins all" on public.enrollment_steps
  for select to authenticated
  using (
    (select private.is_admin())
    or exists (
      select 1 from public.enrollments e
      where e.id = enrollment_id and e.user_id = (select auth.uid())
    )
  );

-- ==== sql/policies/enrollments.sql ====
drop policy if exists "Students can read their own enrollments and admins all" on public.enrollments;
create policy "Students can read their own enrollments and admins all" on public.enrollments
  for select to authenticated
  using (user_id = (select auth.uid()) or (select private.is_admin()));

-- ==== sql/policies/partner_lms_providers.sql ====
-- Partners are public knowledge to signed-in users (names, slugs); adapter_config is withheld by a
-- column grant. Writes: service role only (no policy for anyone else).
drop policy if exists "Signed-in users can read partners" on public.partner_lms_providers;
create policy "Signed-in users can read partners" on public.partner_lms_providers
  for select to authenticated using (true);

-- ==== sql/policies/profiles.sql ====
drop policy if exists "Users can read their own profile and admins every profile" on public.profiles;
create policy "Users can read their own profile and admins every profile" on public.profiles
  for select to authenticated
  using (id = (select auth.uid()) or (select private.is_admin()));

-- ==== sql/policies/program_partner_lms.sql ====
drop policy if exists "Signed-in users can read program sequences" on public.program_partner_lms;
create policy "Signed-in users can read program sequences" on public.program_partner_lms
  for select to authenticated using (true);

-- ==== sql/policies/programs.sql ====
drop policy if exists "Signed-in users can read programs" on public.programs;
create policy "Signed-in users can read programs" on public.programs
  for select to authenticated using (true);

-- ==== sql/policies/step_transitions.sql ====
drop policy if exists "Admins can read the audit trail" on public.step_transitions;
create policy "Admins can read the audit trail" on public.step_transitions
  for select to authenticated using ((select private.is_admin()));
