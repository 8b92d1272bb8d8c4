-- Test helpers in the style of basejump's supabase-test-helpers. Installed only into test
-- databases (by tests/py/conftest.py), never by a migration.
create extension if not exists pgtap;

-- pgTAP lives in public, where functions are not executable by PUBLIC by default (our migrations
-- revoke that); tests switch to the API roles, so give them pgTAP's functions back.
do $$
declare
  v_fn regprocedure;
begin
  for v_fn in
    select p.oid::regprocedure from pg_catalog.pg_depend d
    join pg_catalog.pg_extension e on e.oid = d.refobjid and e.extname = 'pgtap'
    join pg_catalog.pg_proc p on p.oid = d.objid
    where d.classid = 'pg_catalog.pg_proc'::regclass
  loop
    execute pg_catalog.format('grant execute on function %s to public', v_fn);
  end loop;
end
$$;

create schema if not exists tests;
grant usage on schema tests to public;

-- A user in auth.users with a profile; identifier is the local part of the e-mail. The user is
-- signed up as Supabase Auth does (the trigger on auth.users creates the profile); the upsert
-- then sets the role, and also makes the profile where no trigger made one.
create or replace function tests.create_supabase_user(p_identifier text, p_role text default 'student')
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  insert into auth.users (email, raw_user_meta_data)
  values (p_identifier || '@test.local', pg_catalog.jsonb_build_object('full_name', pg_catalog.initcap(p_identifier)))
  returning id into v_id;
  insert into public.profiles as p (id, email, full_name, role)
  values (v_id, p_identifier || '@test.local', pg_catalog.initcap(p_identifier), p_role)
  on conflict (id) do update set role = excluded.role;
  return v_id;
end
$$;

create or replace function tests.get_supabase_uid(p_identifier text)
returns uuid
language sql
security definer
set search_path = ''
as $$
  select id from auth.users where email = p_identifier || '@test.local'
$$;

-- Act as that user for the rest of the transaction: role authenticated + their JWT claims.
create or replace function tests.authenticate_as(p_identifier text)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_id uuid := tests.get_supabase_uid(p_identifier);
begin
  if v_id is null then
    raise exception 'tests.authenticate_as: no user %', p_identifier;
  end if;
  perform pg_catalog.set_config('request.jwt.claims',
    pg_catalog.json_build_object('sub', v_id, 'role', 'authenticated')::text, true);
  perform pg_catalog.set_config('role', 'authenticated', true);
end
$$;

create or replace function tests.authenticate_as_service_role()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.set_config('request.jwt.claims', '{"role": "service_role"}', true);
  perform pg_catalog.set_config('role', 'service_role', true);
end
$$;

create or replace function tests.authenticate_as_anon()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.set_config('request.jwt.claims', '{"role": "anon"}', true);
  perform pg_catalog.set_config('role', 'anon', true);
end
$$;

-- Back to the test's own (superuser) session.
create or replace function tests.clear_authentication()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_catalog.set_config('role', 'none', true);
  perform pg_catalog.set_config('request.jwt.claims', '', true);
end
$$;

-- Run a statement and report 'ok' or its SQLSTATE; whatever it changed is rolled back.
create or replace function tests.try(p_sql text)
returns text
language plpgsql
set search_path = ''
as $$
begin
  execute p_sql;
  raise exception 'rollback' using errcode = 'TTOK1';
exception
  when sqlstate 'TTOK1' then return 'ok';
  when others then return sqlstate;
end
$$;

-- Rows a query returns as the current role, or the SQLSTATE when it may not run.
create or replace function tests.try_count(p_sql text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  v_count bigint;
begin
  execute 'select count(*) from (' || p_sql || ') q' into v_count;
  return v_count::text;
exception
  when others then return sqlstate;
end
$$;

-- Enroll a test user in a program (by slug); returns the enrollment id.
create or replace function tests.enroll(p_identifier text, p_program_slug text)
returns uuid
language sql
security definer
set search_path = ''
as $$
  insert into public.enrollments (user_id, program_id)
  select tests.get_supabase_uid(p_identifier), p.id from public.programs p where p.slug = p_program_slug
  returning id
$$;

-- The id of an enrollment's step at a sequence position.
create or replace function tests.step_id(p_enrollment_id uuid, p_order integer)
returns uuid
language sql
security definer
set search_path = ''
as $$
  select id from public.enrollment_steps where enrollment_id = p_enrollment_id and sequence_order = p_order
$$;

create or replace function tests.step_status(p_enrollment_id uuid, p_order integer)
returns text
language sql
security definer
set search_path = ''
as $$
  select status from public.enrollment_steps where enrollment_id = p_enrollment_id and sequence_order = p_order
$$;

-- RLS is enabled on every table of the schema.
create or replace function tests.rls_enabled(p_schema text)
returns text
language sql
set search_path = ''
as $$
  select public.is(
    (select pg_catalog.array_agg(c.relname::text order by c.relname) from pg_catalog.pg_class c
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = p_schema and c.relkind in ('r', 'p') and not c.relrowsecurity),
    null,
    'every table in schema ' || p_schema || ' should have row level security enabled')
$$;
grant execute on all functions in schema tests to public;
