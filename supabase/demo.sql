-- Demo data for development and the tests: the demo admin and five students at every stage of
-- the loop, with fixed ids so the development sign-in page can list them. Loaded by `make run`,
-- by the test fixtures and by a local `supabase db reset` (supabase/config.toml), after
-- supabase/seed.sql; never by `make seed`, never in production. Idempotent.
--
-- The users are created as Supabase Auth (GoTrue) creates an e-mail sign-up, so GoTrue can load
-- them: audience and role 'authenticated', the zero instance id, '' (not NULL) in every token and
-- change column it scans as a string, confirmed e-mail, provider metadata, and one auth.identities
-- row (provider 'email', provider_id = the user id). No password: sign in with a magic link.
-- One statement for users, identities and profiles, so each statement stands alone (the Supabase
-- CLI prepares every statement of the file before it runs the first).

with demo (id, email, full_name, role) as (values
  ('00000000-0000-4000-a000-000000000001'::uuid, 'admin@example.org',       'Alex Admin',   'admin'),
  ('00000000-0000-4000-a000-000000000011'::uuid, 'ada.pending@example.org', 'Ada Okafor',   'student'),
  ('00000000-0000-4000-a000-000000000012'::uuid, 'ben.midway@example.org',  'Ben Castillo', 'student'),
  ('00000000-0000-4000-a000-000000000013'::uuid, 'cara.stuck@example.org',  'Cara Nguyen',  'student'),
  ('00000000-0000-4000-a000-000000000014'::uuid, 'dev.failed@example.org',  'Dev Patel',    'student'),
  ('00000000-0000-4000-a000-000000000015'::uuid, 'eve.done@example.org',    'Eve Johnson',  'student')
), users as (
  insert into auth.users (
    instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
    confirmation_token, recovery_token, email_change_token_new, email_change_token_current,
    email_change, phone_change, phone_change_token, reauthentication_token,
    raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_sso_user, is_anonymous)
  select '00000000-0000-0000-0000-000000000000', d.id, 'authenticated', 'authenticated', d.email, '', now(),
         '', '', '', '',
         '', '', '', '',
         '{"provider": "email", "providers": ["email"]}',
         jsonb_build_object('full_name', d.full_name, 'email_verified', true), now(), now(), false, false
  from demo d
  on conflict (id) do nothing
  returning id
), identities as (
  insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
  select d.id::text, d.id,
         jsonb_build_object('sub', d.id::text, 'email', d.email, 'email_verified', true, 'phone_verified', false),
         'email', now(), now(), now()
  from demo d
  on conflict (provider_id, provider) do nothing
)
insert into public.profiles (id, email, full_name, role)
select d.id, d.email, d.full_name, d.role from demo d
on conflict (id) do update set role = excluded.role where profiles.role is distinct from excluded.role;

-- Demo enrollments, driven through the state machine, then backdated to look lived-in.
do $$
declare
  v_enrollment uuid;
  v_step uuid;
begin
  if exists (select 1 from public.enrollments
             where user_id between '00000000-0000-4000-a000-000000000011'
                               and '00000000-0000-4000-a000-000000000015') then
    return;  -- already seeded
  end if;
  perform private.set_audit_context('demo seed', 'seed');

  -- Ada: just enrolled in Medical Assistant (HSI in progress since today)
  insert into public.enrollments (user_id, program_id)
  select '00000000-0000-4000-a000-000000000011', id from public.programs where slug = 'medical-assistant';

  -- Ben: Medical Assistant, HSI done, Certiport in progress for 3 days
  insert into public.enrollments (user_id, program_id, enrolled_at)
  select '00000000-0000-4000-a000-000000000012', id, now() - interval '20 days'
  from public.programs where slug = 'medical-assistant' returning id into v_enrollment;
  select id into v_step from public.get_current_step(v_enrollment);
  perform public.mark_step_complete(v_step, 'HSI-DEMO-BEN');
  update public.enrollment_steps set started_at = now() - interval '20 days',
         completed_at = now() - interval '3 days'
   where enrollment_id = v_enrollment and sequence_order = 1;
  update public.enrollment_steps set started_at = now() - interval '3 days',
         external_enrollment_id = 'CP-DEMO-BEN'
   where enrollment_id = v_enrollment and sequence_order = 2;

  -- Cara: CNA, stuck at HSI for 12 days
  insert into public.enrollments (user_id, program_id, enrolled_at)
  select '00000000-0000-4000-a000-000000000013', id, now() - interval '12 days'
  from public.programs where slug = 'cna' returning id into v_enrollment;
  update public.enrollment_steps set started_at = now() - interval '12 days',
         external_enrollment_id = 'HSI-DEMO-CARA', progress_percent = 35
   where enrollment_id = v_enrollment and sequence_order = 1;

  -- Dev: HVAC, enrollment at CareerSafe failed
  insert into public.enrollments (user_id, program_id, enrolled_at)
  select '00000000-0000-4000-a000-000000000014', id, now() - interval '5 days'
  from public.programs where slug = 'hvac' returning id into v_enrollment;
  select id into v_step from public.get_current_step(v_enrollment);
  perform private.set_audit_context('demo seed: partner rejected the enrollment', 'seed');
  update public.enrollment_steps
     set status = 'failed', started_at = now() - interval '5 days',
         error_message = 'CareerSafe API answered 422: student email already registered'
   where id = v_step;

  -- Eve: Barber, completed both partners
  insert into public.enrollments (user_id, program_id, enrolled_at)
  select '00000000-0000-4000-a000-000000000015', id, now() - interval '90 days'
  from public.programs where slug = 'barber' returning id into v_enrollment;
  select id into v_step from public.get_current_step(v_enrollment);
  v_step := public.mark_step_complete(v_step, 'MIL-DEMO-EVE');
  perform public.mark_step_complete(v_step, 'JRI-DEMO-EVE');
  update public.enrollment_steps set started_at = now() - interval '90 days',
         completed_at = now() - interval '40 days'
   where enrollment_id = v_enrollment and sequence_order = 1;
  update public.enrollment_steps set started_at = now() - interval '40 days',
         completed_at = now() - interval '6 days'
   where enrollment_id = v_enrollment and sequence_order = 2;
  update public.enrollments set completed_at = now() - interval '6 days' where id = v_enrollment;

  -- the demo's history is made up: drop the partner calls queued for steps it already linked or
  -- failed, and give Dev's failure the alert a real one would have raised
  delete from queue.jobs j
  where j.queue_name = 'partner_enrollment' and not exists (
    select 1 from public.enrollment_steps s
    where s.id = (j.message ->> 'step_id')::uuid and s.status = 'in_progress' and s.external_enrollment_id is null);
  perform private.raise_admin_alert('partner_enrollment_failed', 'demo:dev-failed',
    'Enrolling the student at CareerSafe failed after 8 attempt(s): CareerSafe API answered 422: student email already registered',
    s.id)
  from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id
  where e.user_id = '00000000-0000-4000-a000-000000000014' and s.status = 'failed';
end
$$;
