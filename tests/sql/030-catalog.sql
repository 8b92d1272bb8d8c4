-- The Supabase security advisor, played as a test (splinter lints 0011, 0013, 0028/0029),
-- plus the catalog documentation habit.
begin;
select plan(9);

-- functions of our schemas (extension members such as pgTAP and the test helpers excluded)
create temporary view our_functions as
select p.oid, n.nspname, p.proname, p.prosecdef, p.proconfig, p.oid::regprocedure::text as signature
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
where n.nspname in ('public', 'private', 'queue')
  and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e');

select ok((select count(*) from our_functions) >= 15, 'the catalog check should see our functions');

select is(
  (select array_agg(signature order by signature) from our_functions
   where not coalesce(proconfig, '{}') @> array['search_path=""']),
  null, 'every function should have a fixed, empty search_path (splinter 0011)');

-- security definer functions executable by anon or authenticated must check the caller themselves:
-- the admin-only ones start with private.admin_caller() (directly or via authorize_step_override);
-- the two reviewed exceptions only ever answer about the caller or a secret code.
select is(
  (select array_agg(signature order by signature) from our_functions f join pg_catalog.pg_proc p on p.oid = f.oid
   where f.prosecdef and (has_function_privilege('anon', f.oid, 'execute')
                          or has_function_privilege('authenticated', f.oid, 'execute'))
     and p.prosrc not like '%private.admin_caller()%' and p.prosrc not like '%private.authorize_step_override(%'
     and signature not in ('private.is_admin()', 'verify_certificate(text)')),
  null,
  'no security definer function should be executable by anon/authenticated unless it checks the caller (splinter 0028/0029)');
select ok(
  (select count(*) from our_functions where prosecdef and has_function_privilege('authenticated', oid, 'execute')) >= 15,
  'the caller-checking definer functions (overrides, monitoring) are all covered by the check above');

select is(
  (select array_agg(signature order by signature) from our_functions
   where has_function_privilege('anon', oid, 'execute')),
  array['verify_certificate(text)'], 'anon should execute nothing but the public certificate check');

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_catalog.pg_class c
   join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname in ('public', 'queue') and c.relkind in ('r', 'p') and not c.relrowsecurity),
  null, 'every table in the exposed schema (and the queue) should have row level security enabled (splinter 0013)');

select is(
  (select array_agg(c.relname::text order by c.relname) from pg_catalog.pg_class c
   join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p')
     and obj_description(c.oid, 'pg_class') is null),
  null, 'every public table should be documented with a comment');

select is(
  (select array_agg(signature order by signature) from our_functions
   where obj_description(oid, 'pg_proc') is null),
  null, 'every function should be documented with a comment');

select is(
  (select array_agg(distinct a.privilege_type order by a.privilege_type)
   from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   cross join lateral aclexplode(c.relacl) a
   where n.nspname = 'public' and c.relkind = 'r' and a.grantee = 'authenticated'::regrole),
  array['SELECT'], 'signed-in users should hold read grants only on public tables');

select * from finish();
rollback;
