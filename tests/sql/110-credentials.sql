-- Open Badges credentials (issue 15): one credential per certificate with its status list index
-- allocated once, the first signed JWT kept, the status list following certificates.revoked_at,
-- the credential job queued by every new certificate, RLS (a student reads her own); and issue
-- 13's waived-steps policy (programs.waived_steps_certificate).
begin;
select plan(21);

delete from public.enrollments;
select tests.create_supabase_user('cr_ann');
select tests.create_supabase_user('cr_bob');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('ann', tests.enroll('cr_ann', 'cpr-first-aid')), ('bob', tests.enroll('cr_bob', 'cpr-first-aid'));
select public.mark_step_complete(tests.step_id((select id from t where name = 'ann'), 1));
select public.mark_step_complete(tests.step_id((select id from t where name = 'bob'), 1));
insert into t select 'ann_cert', c.id from public.certificates c where c.enrollment_id = (select id from t where name = 'ann');
insert into t select 'bob_cert', c.id from public.certificates c where c.enrollment_id = (select id from t where name = 'bob');

select is((select count(*)::integer from queue.jobs j where j.queue_name = 'credential'
           and j.message ->> 'certificate_id' in (select id::text from t where name like '%_cert')), 2,
  'each new certificate should queue its credential job');

select is(public.credential_to_sign(gen_random_uuid()), null, 'an unknown certificate should have nothing to sign');
select isnt(public.credential_to_sign((select id from t where name = 'ann_cert')) ->> 'status_list_index', null,
  'a credential should get a status list index');
select is(public.credential_to_sign((select id from t where name = 'ann_cert')) ->> 'status_list_index',
          public.credential_to_sign((select id from t where name = 'ann_cert')) ->> 'status_list_index',
  'asking again should give the same index');
select is((select count(*)::integer from public.credentials), 1, 'one credential row per certificate');
select is(public.credential_to_sign((select id from t where name = 'ann_cert')) ->> 'program_name', 'CPR & First Aid',
  'the data to sign should carry the certificate''s content');
select public.credential_to_sign((select id from t where name = 'bob_cert'));
select isnt((select status_list_index from public.credentials where certificate_id = (select id from t where name = 'ann_cert')),
            (select status_list_index from public.credentials where certificate_id = (select id from t where name = 'bob_cert')),
  'two credentials should never share a status list index');

select is(public.store_credential(null, (select id from t where name = 'ann_cert'), 'aa.bb.cc', 'k1'), 'aa.bb.cc',
  'the first signed credential should be stored');
select is(public.store_credential(null, (select id from t where name = 'ann_cert'), 'dd.ee.ff', 'k2'), 'aa.bb.cc',
  'a second one should be dropped: the first stays');
select is(public.credential_to_sign((select id from t where name = 'ann_cert')) ->> 'jwt', 'aa.bb.cc',
  'a retried job should find the stored credential');
select throws_ok($$ select public.store_credential(null, gen_random_uuid(), 'aa.bb.cc', 'k1') $$, 'PS051', null,
  'storing a credential that was never allocated should fail with PS051');
select throws_ok($$ select public.store_credential(null, (select id from t where name = 'bob_cert'), 'not a jwt', 'k1') $$,
  '23514', null, 'a stored credential should be a compact JWS');

select is(public.credential_status_list() -> 'revoked', '[]'::jsonb, 'nothing revoked yet');
update public.certificates set revoked_at = now(), revoked_reason = 'test' where id = (select id from t where name = 'ann_cert');
select is(public.credential_status_list() -> 'revoked',
          pg_catalog.jsonb_build_array((select status_list_index from public.credentials where certificate_id = (select id from t where name = 'ann_cert'))),
  'revoking the certificate should set its credential''s bit');
select is((public.credential_status_list() ->> 'size')::integer, 131072, 'the list should be 16 KiB of bits');

select is(public.credential_by_code((select verification_code from public.certificates where id = (select id from t where name = 'ann_cert'))) ->> 'jwt',
  'aa.bb.cc', 'the verify page should find the credential by the printed code');
select is(public.credential_by_code('nope'), null, 'a malformed code should find nothing');

-- RLS: Ann reads her own credential, not Bob's
select public.store_credential(null, (select id from t where name = 'bob_cert'), 'bb.bb.bb', 'k1');
select tests.authenticate_as('cr_ann');
select is((select pg_catalog.array_agg(jwt) from public.credentials), array['aa.bb.cc'], 'a student should read only her own credential');
select is(public.my_credentials() -> 0 ->> 'jwt', 'aa.bb.cc', 'my_credentials should list hers');
select tests.clear_authentication();

-- deleting a certificate never un-revokes its credential: the row stays, its bit set
update public.certificates set revoked_at = null where id = (select id from t where name = 'ann_cert');
delete from public.certificates where id = (select id from t where name = 'bob_cert');
select is(public.credential_status_list() -> 'revoked',
          pg_catalog.jsonb_build_array((select status_list_index from public.credentials where certificate_id is null)),
  'a deleted certificate''s credential should stay revoked (and the reinstated one should not be)');

-- waived steps: every step waived, no certificate
insert into t values ('all_waived', tests.enroll('cr_bob', 'cna'));
select public.admin_skip_step(tests.step_id((select id from t where name = 'all_waived'), 1), 'credit from elsewhere');
select public.admin_skip_step(tests.step_id((select id from t where name = 'all_waived'), 2), 'credit from elsewhere');
select is((select count(*)::integer from public.certificates where enrollment_id = (select id from t where name = 'all_waived')), 0,
  'an enrollment whose every step was waived should get no certificate');

select * from finish();
rollback;
