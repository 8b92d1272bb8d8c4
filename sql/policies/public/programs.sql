drop policy if exists "Signed-in users can read programs" on public.programs;
create policy "Signed-in users can read programs" on public.programs
  for select to authenticated using (true);
