-- Supabase Auth (GoTrue) users: the profile comes from auth.users (sign-up, e-mail and name
-- changes), and our plain-PostgreSQL auth.users has the columns GoTrue reads.
begin;
select plan(23);

select trigger_is('auth', 'users', 'users_sync_profile', 'private', 'tg_users__sync_profile',
  'auth.users should keep public.profiles in step through private.tg_users__sync_profile');
select is_definer('private', 'tg_users__sync_profile', array[]::text[],
  'the profile trigger function should run as its owner (GoTrue''s role has no rights on profiles)');
select ok(not has_function_privilege(r, 'private.tg_users__sync_profile()', 'execute'),
  r || ' should not execute the profile trigger function')
from unnest(array['anon', 'authenticated']) r;

select columns_are('auth', 'users', array[
  'id', 'email', 'raw_user_meta_data', 'created_at', 'instance_id', 'aud', 'role', 'encrypted_password',
  'email_confirmed_at', 'invited_at', 'confirmation_token', 'confirmation_sent_at', 'recovery_token',
  'recovery_sent_at', 'email_change_token_new', 'email_change', 'email_change_sent_at', 'last_sign_in_at',
  'raw_app_meta_data', 'is_super_admin', 'updated_at', 'phone', 'phone_confirmed_at', 'phone_change',
  'phone_change_token', 'phone_change_sent_at', 'confirmed_at', 'email_change_token_current',
  'email_change_confirm_status', 'banned_until', 'reauthentication_token', 'reauthentication_sent_at',
  'is_sso_user', 'deleted_at', 'is_anonymous'],
  'the compatibility auth.users should have every column GoTrue''s migrations leave');
select columns_are('auth', 'identities', array[
  'provider_id', 'user_id', 'identity_data', 'provider', 'last_sign_in_at', 'created_at', 'updated_at',
  'email', 'id'], 'the compatibility auth.identities should have GoTrue''s columns');

-- a sign-up as GoTrue writes it
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, confirmation_token,
  recovery_token, email_change_token_new, email_change, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000', '00000000-0000-4000-c000-000000000001', 'authenticated',
  'authenticated', 'grace@test.local', '', '', '', '', '', '{"provider": "email", "providers": ["email"]}',
  '{"full_name": "Grace Hopper"}', now(), now());
select results_eq($$ select email, full_name, role from public.profiles where id = '00000000-0000-4000-c000-000000000001' $$,
  $$ values ('grace@test.local', 'Grace Hopper', 'student') $$,
  'a user signing up should get a student profile with her e-mail and full_name');

insert into auth.users (id, email, raw_user_meta_data)
values ('00000000-0000-4000-c000-000000000002', 'oauth@test.local', '{"name": "From A Provider"}'),
       ('00000000-0000-4000-c000-000000000003', 'bare@test.local', '{}');
select is((select full_name from public.profiles where id = '00000000-0000-4000-c000-000000000002'), 'From A Provider',
  'without full_name the profile should take the provider''s name');
select is((select full_name from public.profiles where id = '00000000-0000-4000-c000-000000000003'), '',
  'without any name the profile should have an empty name');

-- changes GoTrue makes
update auth.users set email = 'grace.h@test.local' where id = '00000000-0000-4000-c000-000000000001';
select is((select email from public.profiles where id = '00000000-0000-4000-c000-000000000001'), 'grace.h@test.local',
  'an e-mail change should reach the profile');
update auth.users set raw_user_meta_data = '{"full_name": "Rear Admiral Hopper"}'
where id = '00000000-0000-4000-c000-000000000001';
select is((select full_name from public.profiles where id = '00000000-0000-4000-c000-000000000001'), 'Rear Admiral Hopper',
  'a full_name change should reach the profile');
update auth.users set raw_user_meta_data = '{"avatar_url": "https://example.org/a.png"}'
where id = '00000000-0000-4000-c000-000000000001';
select is((select full_name from public.profiles where id = '00000000-0000-4000-c000-000000000001'), 'Rear Admiral Hopper',
  'metadata without a name should keep the profile''s name');

create temporary table v_before on commit drop as
  select xmin::text as row_version from public.profiles where id = '00000000-0000-4000-c000-000000000001';
update auth.users set last_sign_in_at = now(), updated_at = now() where id = '00000000-0000-4000-c000-000000000001';
update auth.users set email = email where id = '00000000-0000-4000-c000-000000000001';
select is((select xmin::text from public.profiles where id = '00000000-0000-4000-c000-000000000001'),
  (select row_version from v_before), 'a sign-in or an unchanged e-mail should not rewrite the profile');

-- an admin stays an admin
update public.profiles set role = 'admin' where id = '00000000-0000-4000-c000-000000000002';
update auth.users set email = 'admin2@test.local', raw_user_meta_data = '{"full_name": "Second Admin"}'
where id = '00000000-0000-4000-c000-000000000002';
select results_eq($$ select email, full_name, role from public.profiles where id = '00000000-0000-4000-c000-000000000002' $$,
  $$ values ('admin2@test.local', 'Second Admin', 'admin') $$,
  'changes from auth.users should not touch the profile''s role');

-- a profile written in the same statement as its user (the pattern of older scripts) is kept
with u as (insert into auth.users (id, email) values ('00000000-0000-4000-c000-000000000004', 'cte@test.local') returning id)
insert into public.profiles (id, email, full_name) select id, 'cte@test.local', 'Written By Hand' from u;
select is((select full_name from public.profiles where id = '00000000-0000-4000-c000-000000000004'), 'Written By Hand',
  'a profile inserted with its user should be kept, not overwritten');

-- a user whose profile went missing gets it back at her next change
delete from public.profiles where id = '00000000-0000-4000-c000-000000000003';
update auth.users set raw_user_meta_data = '{"full_name": "Back Again"}' where id = '00000000-0000-4000-c000-000000000003';
select is((select full_name from public.profiles where id = '00000000-0000-4000-c000-000000000003'), 'Back Again',
  'a missing profile should be made again at the user''s next change');

-- a phone sign-up has no e-mail
insert into auth.users (id, phone, raw_user_meta_data)
values ('00000000-0000-4000-c000-000000000005', '15550100', '{"full_name": "Phone Only"}');
select results_eq($$ select email, full_name from public.profiles where id = '00000000-0000-4000-c000-000000000005' $$,
  $$ values (null::text, 'Phone Only') $$, 'a phone sign-up should get a profile without e-mail');

-- the new user can be enrolled: her steps are generated
select lives_ok($$ insert into public.enrollments (user_id, program_id)
  select '00000000-0000-4000-c000-000000000001', id from public.programs where slug = 'barber' $$,
  'a user who signed up through Supabase Auth should be enrollable');
select results_eq($$ select s.sequence_order, s.status from public.enrollment_steps s
  join public.enrollments e on e.id = s.enrollment_id
  where e.user_id = '00000000-0000-4000-c000-000000000001' order by 1 $$,
  $$ values (1, 'in_progress'), (2, 'pending') $$, 'her enrollment should have its steps');

-- deleting the user deletes the profile
delete from auth.users where id = '00000000-0000-4000-c000-000000000004';
select is_empty($$ select 1 from public.profiles where id = '00000000-0000-4000-c000-000000000004' $$,
  'deleting a user should delete her profile');

-- the demo users were created as GoTrue creates them
select is_empty($$ select u.id from auth.users u where u.email like '%@example.org' and (u.aud is distinct from 'authenticated'
    or u.role is distinct from 'authenticated' or u.instance_id is distinct from '00000000-0000-0000-0000-000000000000'
    or u.confirmation_token is null or u.recovery_token is null or u.email_change_token_new is null
    or u.email_change is null or u.email_change_token_current is null or u.phone_change is null
    or u.phone_change_token is null or u.reauthentication_token is null) $$,
  'no demo user should have NULL where GoTrue reads a string');
select is((select count(*)::int from auth.users u join auth.identities i on i.user_id = u.id and i.provider = 'email'
    and i.provider_id = u.id::text where u.email like '%@example.org'), 6,
  'each demo user should have an e-mail identity');
select is((select count(*)::int from auth.users u join public.profiles p on p.id = u.id where u.email like '%@example.org'), 6,
  'each demo user should have a profile');

select * from finish();
rollback;
