-- Partners are public knowledge to signed-in users (names, slugs); adapter_config is withheld by a
-- column grant. Writes: service role only (no policy for anyone else).
drop policy if exists "Signed-in users can read partners" on public.partner_lms_providers;
create policy "Signed-in users can read partners" on public.partner_lms_providers
  for select to authenticated using (true);
