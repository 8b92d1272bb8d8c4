-- The Supabase security advisor, played as a test: our own checks for the splinter lints that
-- concern our objects (0007, 0008, 0010, 0011, 0013, 0014, 0016, 0028/0029), the sequence and
-- column privileges of the API roles, default privileges, plus the catalog documentation habit.
-- The exposed schema (what the Data API serves, supabase/config.toml [api] schemas) is public.
begin;
select plan(22);

-- functions of our schemas (extension members such as pgTAP and the test helpers excluded)
create temporary view our_functions as
select p.oid, n.nspname, p.proname, p.prosecdef, p.proconfig, p.prosrc, p.oid::regprocedure::text as signature
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
where n.nspname in ('public', 'private', 'queue')
  and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e');

-- tables, views and sequences of our schemas
create temporary view our_relations as
select c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity, c.reloptions, c.relacl,
       n.nspname || '.' || c.relname as name
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname in ('public', 'private', 'queue')
  and not exists (select 1 from pg_catalog.pg_depend d where d.objid = c.oid and d.deptype = 'e');

select ok((select count(*) from our_functions) >= 15, 'the catalog check should see our functions');

select is(
  (select array_agg(signature order by signature) from our_functions
   where not coalesce(proconfig, '{}') @> array['search_path=""']),
  null, 'every function should have a fixed, empty search_path (splinter 0011)');

-- 0028/0029: the Data API serves every function of the exposed schema at /rest/v1/rpc/<name>.
select is(
  (select array_agg(signature order by signature) from our_functions
   where nspname = 'public' and prosecdef and has_function_privilege('anon', oid, 'execute')),
  null, 'no security definer function in the exposed schema should be executable by anon (splinter 0028)');
select is(
  (select array_agg(signature order by signature) from our_functions
   where nspname = 'public' and prosecdef and has_function_privilege('authenticated', oid, 'execute')),
  null, 'no security definer function in the exposed schema should be executable by authenticated (splinter 0029)');
select is(
  (select array_agg(signature order by signature) from our_functions where nspname = 'public' and prosecdef),
  null, 'the exposed schema should hold no security definer function at all: definer bodies live in private');

-- The definer bodies in private that the API roles reach (through the invoker entry points) must
-- check the caller themselves: the admin-only ones start with private.admin_caller() (directly or
-- via authorize_step_override); the reviewed exceptions only ever answer about the caller (is_admin,
-- student_step_history: the caller's own steps) or about the holder of a secret code.
select is(
  (select array_agg(signature order by signature) from our_functions
   where prosecdef and (has_function_privilege('anon', oid, 'execute')
                        or has_function_privilege('authenticated', oid, 'execute'))
     and prosrc not like '%private.admin_caller()%' and prosrc not like '%private.authorize_step_override(%'
     and signature not in ('private.is_admin()', 'private.verify_certificate(text)')
     and signature <> 'private.student_step_history(uuid)'),
  null,
  'every security definer function that anon or authenticated can execute should check the caller itself');
select ok(
  (select count(*) from our_functions
   where nspname = 'private' and prosecdef and has_function_privilege('authenticated', oid, 'execute')) >= 19,
  'the caller-checking definer bodies (overrides, monitoring, certificate check) should all be covered by the check above');
select is(
  (select array_agg(p.signature order by p.signature) from our_functions p
   where p.nspname = 'public' and has_function_privilege('authenticated', p.oid, 'execute')
     and exists (select 1 from our_functions b where b.nspname = 'private' and b.proname = p.proname and b.prosecdef)
     and p.prosrc not like '%private.' || p.proname || '(%'),
  null, 'each invoker entry point in public should call its definer body in private');

select is(
  (select array_agg(signature order by signature) from our_functions
   where has_function_privilege('anon', oid, 'execute')),
  array['private.verify_certificate(text)', 'verify_certificate(text)'],
  'anon should execute nothing but the public certificate check');

-- Row level security (0013, 0007, 0008)
select is(
  (select array_agg(name order by name) from our_relations where relkind in ('r', 'p') and not relrowsecurity),
  null, 'every table of our schemas should have row level security enabled (splinter 0013)');
select is(
  (select array_agg(name order by name) from our_relations r
   where relkind in ('r', 'p') and not relrowsecurity
     and exists (select 1 from pg_catalog.pg_policy p where p.polrelid = r.oid)),
  null, 'no table should have policies while its row level security is off (splinter 0007)');
select is(
  (select array_agg(name order by name) from our_relations r
   where relkind in ('r', 'p') and relrowsecurity
     and not exists (select 1 from pg_catalog.pg_policy p where p.polrelid = r.oid)),
  null, 'every table with row level security should say who may do what in at least one policy (splinter 0008)');

-- Sequences: identity columns need no sequence privilege, so the API roles should hold none.
select is(
  (select array_agg(name || ' ' || r.rolname || ' ' || x.privilege order by name, r.rolname, x.privilege)
   from our_relations s
   cross join (values ('anon'), ('authenticated')) r (rolname)
   cross join (values ('usage'), ('select'), ('update')) x (privilege)
   where s.relkind = 'S' and has_sequence_privilege(r.rolname, s.oid, x.privilege)),
  null, 'anon and authenticated should hold no privilege on any of our sequences');

-- Raw partner errors are for admins (through monitor_failed_enrollments), never for students.
select is(
  (select array_agg(r.rolname order by r.rolname) from (values ('anon'), ('authenticated')) r (rolname)
   where has_column_privilege(r.rolname, 'public.enrollment_steps', 'error_message', 'select')),
  null, 'signed-in users and visitors should not be able to read enrollment_steps.error_message');
select is(
  (select array_agg(a.attname::text order by a.attnum) from pg_catalog.pg_attribute a
   where a.attrelid = 'public.enrollment_steps'::regclass and a.attnum > 0 and not a.attisdropped
     and not has_column_privilege('authenticated', a.attrelid, a.attnum, 'select')),
  array['error_message'], 'signed-in users should be able to read every other column of enrollment_steps');

-- Views and materialized views in the exposed schema (0010, 0016), extensions in public (0014)
select is(
  (select array_agg(name order by name) from our_relations
   where nspname = 'public' and relkind in ('v', 'm')
     and (has_table_privilege('anon', oid, 'select') or has_table_privilege('authenticated', oid, 'select'))
     and (relkind = 'm' or not coalesce(reloptions, '{}') && array['security_invoker=true', 'security_invoker=on', 'security_invoker=1'])),
  null, 'no materialized view, and no view that bypasses row level security, should be readable through the Data API (splinter 0010, 0016)');
select is(
  (select array_agg(e.extname::text order by e.extname) from pg_catalog.pg_extension e
   where e.extnamespace = 'public'::regnamespace and e.extname not in ('plpgsql', 'pgtap')),
  null, 'no extension should live in the exposed schema (splinter 0014; pgTAP is only in test databases)');

-- Default privileges: a function or sequence the migrating role creates tomorrow belongs to nobody
-- until granted (PostgreSQL grants EXECUTE to PUBLIC by default; Supabase's defaults in public
-- grant functions and sequences to anon and authenticated).
create function public.advisor_probe() returns integer language sql set search_path = '' as $$ select 1 $$;
create sequence public.advisor_probe_seq;
select is(
  (select array_agg(r.rolname order by r.rolname) from (values ('anon'), ('authenticated')) r (rolname)
   where has_function_privilege(r.rolname, 'public.advisor_probe()', 'execute')),
  null, 'a new function should not be executable by PUBLIC, anon or authenticated until granted');
select is(
  (select array_agg(r.rolname order by r.rolname) from (values ('anon'), ('authenticated')) r (rolname)
   where has_sequence_privilege(r.rolname, 'public.advisor_probe_seq', 'usage')
      or has_sequence_privilege(r.rolname, 'public.advisor_probe_seq', 'select')),
  null, 'a new sequence should not be usable by anon or authenticated until granted');
drop function public.advisor_probe();
drop sequence public.advisor_probe_seq;

-- Documentation and read-only grants
select is(
  (select array_agg(name order by name) from our_relations
   where nspname = 'public' and relkind in ('r', 'p') and obj_description(oid, 'pg_class') is null),
  null, 'every public table should be documented with a comment');

select is(
  (select array_agg(signature order by signature) from our_functions
   where obj_description(oid, 'pg_proc') is null),
  null, 'every function should be documented with a comment');

select is(
  (select array_agg(distinct a.privilege_type order by a.privilege_type)
   from our_relations c cross join lateral aclexplode(c.relacl) a
   where c.nspname = 'public' and c.relkind = 'r' and a.grantee = 'authenticated'::regrole),
  array['SELECT'], 'signed-in users should hold read grants only on public tables');

select * from finish();
rollback;
