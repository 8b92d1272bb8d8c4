drop policy if exists "Admins can read the audit trail" on public.step_transitions;
create policy "Admins can read the audit trail" on public.step_transitions
  for select to authenticated using ((select private.is_admin()));
