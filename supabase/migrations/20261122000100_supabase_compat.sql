-- Supabase compatibility layer for plain PostgreSQL.
--
-- On a real Supabase project every object below already exists (owned by Supabase's own roles),
-- so each block is guarded and this migration changes nothing there. On plain PostgreSQL it
-- creates the surface the rest of the schema relies on: the API roles (`service_role` bypasses
-- row level security, as on Supabase), the `auth` schema with `auth.users` and `auth.identities`
-- shaped as Supabase Auth (GoTrue) leaves them, and `auth.uid()`,
-- `auth.role()`, `auth.jwt()` reading `request.jwt.claims` as Supabase's own versions do.

do $$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  -- the connecting user may switch to the API roles (`set role ...`), as on Supabase
  if not pg_catalog.pg_has_role(current_user, 'service_role', 'member') then
    begin
      execute pg_catalog.format('grant anon, authenticated, service_role to %I', current_user);
    exception when insufficient_privilege then
      raise notice 'could not grant the API roles to %; grant them as an administrator', current_user;
    end;
  end if;
end
$$;

do $$
begin
  if exists (select 1 from pg_catalog.pg_namespace where nspname = 'auth') then
    return;  -- a Supabase project: its auth schema is not ours to touch
  end if;

  create schema auth;
  grant usage on schema auth to anon, authenticated, service_role;

  -- auth.users and auth.identities with the columns Supabase Auth (GoTrue) reads, as its own
  -- migrations leave them (so users can be created the way GoTrue creates them); id, email,
  -- raw_user_meta_data and created_at keep this layer's friendlier defaults. Databases created
  -- before these columns were added get them from 20261202100000_gotrue_profiles.
  create table auth.users (
    id uuid primary key default gen_random_uuid(),
    email text unique,
    raw_user_meta_data jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now(),
    instance_id uuid,
    aud varchar(255),
    role varchar(255),
    encrypted_password varchar(255),
    email_confirmed_at timestamptz,
    invited_at timestamptz,
    confirmation_token varchar(255),
    confirmation_sent_at timestamptz,
    recovery_token varchar(255),
    recovery_sent_at timestamptz,
    email_change_token_new varchar(255),
    email_change varchar(255),
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    raw_app_meta_data jsonb,
    is_super_admin boolean,
    updated_at timestamptz,
    phone text unique default null,
    phone_confirmed_at timestamptz,
    phone_change text default '',
    phone_change_token varchar(255) default '',
    phone_change_sent_at timestamptz,
    confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
    email_change_token_current varchar(255) default '',
    email_change_confirm_status smallint default 0 check (email_change_confirm_status between 0 and 2),
    banned_until timestamptz,
    reauthentication_token varchar(255) default '',
    reauthentication_sent_at timestamptz,
    is_sso_user boolean not null default false,
    deleted_at timestamptz,
    is_anonymous boolean not null default false
  );
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

  create function auth.jwt() returns jsonb
  language sql stable
  set search_path = ''
  as $body$
    select coalesce(
      nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
      nullif(pg_catalog.current_setting('request.jwt.claims', true), '')
    )::jsonb
  $body$;

  create function auth.uid() returns uuid
  language sql stable
  set search_path = ''
  as $body$
    select coalesce(
      nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''),
      (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
    )::uuid
  $body$;

  create function auth.role() returns text
  language sql stable
  set search_path = ''
  as $body$
    select coalesce(
      nullif(pg_catalog.current_setting('request.jwt.claim.role', true), ''),
      (nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
    )::text
  $body$;

  comment on function auth.jwt() is 'The JWT claims of the current request (request.jwt.claims), as on Supabase.';
  comment on function auth.uid() is 'The user id (sub claim) of the current request, as on Supabase.';
  comment on function auth.role() is 'The role claim of the current request, as on Supabase.';
  grant execute on function auth.jwt(), auth.uid(), auth.role() to anon, authenticated, service_role;
end
$$;

grant usage on schema public to anon, authenticated, service_role;
