drop policy if exists "Signed-in users can read program sequences" on public.program_partner_lms;
create policy "Signed-in users can read program sequences" on public.program_partner_lms
  for select to authenticated using (true);
