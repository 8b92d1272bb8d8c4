-- Users from Supabase Auth (GoTrue) get a profile; plain-PostgreSQL auth.users shaped as GoTrue's.
-- Ships sql/functions/tg_users__sync_profile.sql between two hand-written blocks: the upgrade of
-- an older compatibility auth.users (guarded) and the backfill of existing users' profiles.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- A plain-PostgreSQL database migrated before the compatibility layer had GoTrue's columns still
-- has its first auth.users (exactly id, email, raw_user_meta_data, created_at): give it the
-- columns and the auth.identities table 20261122000100_supabase_compat now creates, and make its
-- existing users loadable by GoTrue ('' rather than NULL in the strings it scans, audience and
-- role 'authenticated', the zero instance id, an e-mail identity). A Supabase project's
-- auth.users never has that shape, so nothing happens there.
do $$
begin
  if (select pg_catalog.array_agg(a.attname::text order by a.attname)
        from pg_catalog.pg_attribute a
       where a.attrelid = pg_catalog.to_regclass('auth.users') and a.attnum > 0 and not a.attisdropped)
     is distinct from array['created_at', 'email', 'id', 'raw_user_meta_data'] then
    return;
  end if;

  alter table auth.users
    add column instance_id uuid,
    add column aud varchar(255),
    add column role varchar(255),
    add column encrypted_password varchar(255),
    add column email_confirmed_at timestamptz,
    add column invited_at timestamptz,
    add column confirmation_token varchar(255),
    add column confirmation_sent_at timestamptz,
    add column recovery_token varchar(255),
    add column recovery_sent_at timestamptz,
    add column email_change_token_new varchar(255),
    add column email_change varchar(255),
    add column email_change_sent_at timestamptz,
    add column last_sign_in_at timestamptz,
    add column raw_app_meta_data jsonb,
    add column is_super_admin boolean,
    add column updated_at timestamptz,
    add column phone text unique default null,
    add column phone_confirmed_at timestamptz,
    add column phone_change text default '',
    add column phone_change_token varchar(255) default '',
    add column phone_change_sent_at timestamptz,
    add column confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    add column email_change_token_current varchar(255) default '',
    add column email_change_confirm_status smallint default 0 check (email_change_confirm_status between 0 and 2),
    add column banned_until timestamptz,
    add column reauthentication_token varchar(255) default '',
    add column reauthentication_sent_at timestamptz,
    add column is_sso_user boolean not null default false,
    add column deleted_at timestamptz,
    add column is_anonymous boolean not null default false;
  comment on table auth.users is 'Supabase Auth users (compatibility copy for plain PostgreSQL; GoTrue''s own on Supabase).';

  create table auth.identities (
    provider_id text not null,
    user_id uuid not null references auth.users (id) on delete cascade,
    identity_data jsonb not null,
    provider text not null,
    last_sign_in_at timestamptz,
    created_at timestamptz,
    updated_at timestamptz,
    email text generated always as (lower(identity_data ->> 'email')) stored,
    id uuid primary key default gen_random_uuid(),
    constraint identities_provider_id_provider_unique unique (provider_id, provider)
  );
  create index identities_user_id_idx on auth.identities (user_id);
  comment on table auth.identities is 'Supabase Auth identities, one per sign-in provider of a user (compatibility copy).';

  update auth.users
     set instance_id = '00000000-0000-0000-0000-000000000000', aud = 'authenticated', role = 'authenticated',
         encrypted_password = '', confirmation_token = '', recovery_token = '', email_change_token_new = '',
         email_change = '', raw_app_meta_data = '{"provider": "email", "providers": ["email"]}',
         email_confirmed_at = created_at, updated_at = created_at;
  insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
  select u.id::text, u.id, pg_catalog.jsonb_build_object('sub', u.id::text, 'email', u.email), 'email',
         u.created_at, u.created_at
  from auth.users u where u.email is not null;
end
$$;

-- ==== sql/functions/tg_users__sync_profile.sql ====
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

create or replace trigger users_sync_profile
  after insert or update of email, raw_user_meta_data on auth.users
  for each row execute function private.tg_users__sync_profile();

-- Users who signed up before this migration get their profile now (the trigger covers the rest).
insert into public.profiles (id, email, full_name)
select u.id, u.email,
       coalesce(nullif(coalesce(u.raw_user_meta_data ->> 'full_name', u.raw_user_meta_data ->> 'name'), ''), '')
from auth.users u
where not exists (select 1 from public.profiles p where p.id = u.id)
on conflict (id) do nothing;
