-- private.signed_out_sessions: a signed-in user records and reads their own signed-out sessions
-- (public.sign_out, public.session_is_active run as the user); the service role manages them all.
drop policy if exists "Users record their own sign-outs" on private.signed_out_sessions;
create policy "Users record their own sign-outs" on private.signed_out_sessions
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Users read their own sign-outs" on private.signed_out_sessions;
create policy "Users read their own sign-outs" on private.signed_out_sessions
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "The service role manages the sign-outs" on private.signed_out_sessions;
create policy "The service role manages the sign-outs" on private.signed_out_sessions
  for all to service_role using (true) with check (true);
