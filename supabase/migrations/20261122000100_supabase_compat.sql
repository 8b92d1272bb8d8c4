-- Supabase compatibility layer for plain PostgreSQL.
--
-- On a real Supabase project every object below already exists (owned by Supabase's own roles),
-- so each block is guarded and this migration changes nothing there. On plain PostgreSQL it
-- creates the surface the rest of the schema relies on: the API roles (`service_role` bypasses
-- row level security, as on Supabase), the `auth` schema with `auth.users`, and `auth.uid()`,
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

  create table auth.users (
    id uuid primary key default gen_random_uuid(),
    email text unique,
    raw_user_meta_data jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now()
  );

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
