-- Retention of server-side sign-outs (issue 12): a row of private.signed_out_sessions is useless
-- once its token has expired (expires_at), so private.purge_expired_data() deletes those, one
-- bounded batch per call, and the worker's periodic checks report how many.
begin;
select plan(7);

delete from public.partner_events;
delete from queue.jobs_archive;
delete from private.signed_out_sessions;
select tests.create_supabase_user('sos_user');
select tests.create_supabase_user('sos_admin', 'admin');

insert into private.signed_out_sessions (session_key, user_id, signed_out_at, expires_at)
select x.k, tests.get_supabase_uid('sos_user'), now() - interval '2 days', x.exp
from (values ('expired-1', now() - interval '1 day'), ('expired-2', now() - interval '1 hour'),
             ('expired-3', now() - interval '1 second'), ('live', now() + interval '1 hour'),
             ('no-expiry', null::timestamptz)) as x (k, exp);

select is(private.purge_expired_data(2) -> 'signed_out_sessions', '2'::jsonb,
  'a purge deletes at most one batch of expired sign-outs');
select is((select count(*)::integer from private.signed_out_sessions where session_key like 'expired-%'), 1,
  'one expired sign-out is left after a batch of two');

select tests.authenticate_as_service_role();
create temporary table checks on commit drop as select public.run_periodic_checks() as r;
select tests.clear_authentication();
select is((select r -> 'purged' -> 'signed_out_sessions' from checks), '1'::jsonb,
  'the periodic checks purge the rest and report the count');
select set_eq($$ select session_key from private.signed_out_sessions $$, array['live', 'no-expiry'],
  'a sign-out whose token is still valid (or has no known expiry) is kept');
select is(private.purge_expired_data() -> 'signed_out_sessions', '0'::jsonb, 'nothing more is expired');

-- the kept row still refuses its token: session_is_active reads it
select ok(exists (select 1 from private.signed_out_sessions where session_key = 'live' and expires_at > now()),
  'the live sign-out stays in force until its token expires');

select tests.authenticate_as('sos_admin');
select throws_ok($$ select private.purge_expired_data() $$, '42501', null, 'an admin may not call the purge');
select tests.clear_authentication();

select * from finish();
rollback;
