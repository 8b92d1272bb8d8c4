-- A user who signs up through Supabase Auth (GoTrue inserts into auth.users as
-- supabase_auth_admin) gets a profile, and later changes to her e-mail or name follow.
-- The name is raw_user_meta_data's full_name, else name (what OAuth providers send).
-- An existing profile keeps its role and keeps its name when the metadata carries none.
-- security definer: GoTrue's role has no rights on public.profiles; the function writes only the
-- row of the user the trigger fired for. In private, so no API caller can reach it.
create or replace function private.tg_users__sync_profile()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_name text := nullif(coalesce(new.raw_user_meta_data ->> 'full_name', new.raw_user_meta_data ->> 'name'), '');
begin
  insert into public.profiles as p (id, email, full_name)
  values (new.id, new.email, coalesce(v_name, ''))
  on conflict (id) do update
    set email = excluded.email,
        full_name = coalesce(v_name, p.full_name)
    where p.email is distinct from excluded.email
       or p.full_name is distinct from coalesce(v_name, p.full_name);
  return null;
end
$$;
comment on function private.tg_users__sync_profile() is
  'After insert or update of email, raw_user_meta_data on auth.users: create or update the user''s public.profiles row.';
revoke all on function private.tg_users__sync_profile() from public, anon, authenticated;
