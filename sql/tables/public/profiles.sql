-- One profile per user of auth.users (Supabase Auth / GoTrue). Policies:
-- sql/policies/public/profiles.sql.
create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  full_name text not null default '',
  role text not null default 'student' check (role in ('student', 'admin')),
  created_at timestamptz not null default now()
);
-- raise_admin_alert emails every admin: find them without reading every profile
create index profiles_admins_idx on public.profiles (id) where role = 'admin';
alter table public.profiles enable row level security;

revoke all on public.profiles from anon, authenticated;
grant select on public.profiles to authenticated;
grant all on public.profiles to service_role;

comment on table public.profiles is 'One row per user (auth.users); role decides admin access.';

-- Kept in step with auth.users by a trigger on that table (GoTrue's on Supabase, so declared here,
-- with the table it writes): a user who signs up gets a profile; e-mail and name changes follow.
create trigger users_sync_profile
  after insert or update of email, raw_user_meta_data on auth.users
  for each row execute function private.tg_users__sync_profile();
-- (no `comment on trigger`: that needs ownership of auth.users, supabase_auth_admin's on Supabase;
-- private.tg_users__sync_profile's comment describes it)
