-- Seed: the five training partners, the program list with each program's partner sequence
-- (real configuration, from the original system), and a handful of demo users at every stage.
-- Idempotent: run it as often as you like (`make seed`, `supabase db reset`).
--
-- Real counts of this list: 48 programs, 77 program→partner mappings
-- (1 program with 3 partners, 27 with 2, 20 with 1). The original's documents said 49 / 78.
-- To edit: change a line of the programs list below; the sequence is the partner slugs in order.

insert into public.partner_lms_providers (slug, provider_name, adapter, adapter_config, expected_days)
values
  ('hsi',        'HSI (Health & Safety Institute)', 'rest',   '{"enroll_path": "/enrollments"}', 14),
  ('certiport',  'Certiport',                       'rest',   '{"enroll_path": "/enrollments"}', 30),
  ('careersafe', 'CareerSafe',                      'rest',   '{"enroll_path": "/enrollments"}', 10),
  ('jri',        'JRI',                             'manual', '{}',                              21),
  ('milady',     'Milady',                          'rest',   '{"enroll_path": "/enrollments"}', 60)
on conflict (slug) do update
  set provider_name = excluded.provider_name, expected_days = excluded.expected_days;

create temporary table seed_programs (slug text, name text, sequence text[]) on commit drop;
insert into seed_programs (slug, name, sequence) values
  -- HSI → Certiport
  ('cna',                       'Certified Nursing Assistant (CNA)',      '{hsi,certiport}'),
  ('cna-home-health',           'CNA – Home Health Aide',                 '{hsi,certiport}'),
  ('dental-assistant',          'Dental Assistant',                       '{hsi,certiport}'),
  ('pharmacy-technician',       'Pharmacy Technician',                    '{hsi,certiport}'),
  ('phlebotomy',                'Phlebotomy',                             '{hsi,certiport}'),
  ('emt',                       'Emergency Medical Technician (EMT)',     '{hsi,certiport}'),
  ('community-health-worker',   'Community Health Worker',                '{hsi,certiport}'),
  -- HSI only
  ('cpr-first-aid',             'CPR & First Aid',                        '{hsi}'),
  -- HSI → Certiport → CareerSafe
  ('medical-assistant',         'Medical Assistant',                      '{hsi,certiport,careersafe}'),
  -- Milady → JRI
  ('barber',                    'Barber',                                 '{milady,jri}'),
  ('barber-apprenticeship',     'Barber Apprenticeship',                  '{milady,jri}'),
  ('master-barber',             'Master Barber',                          '{milady,jri}'),
  ('barber-instructor',         'Barber Instructor',                      '{milady,jri}'),
  ('esthetician',               'Esthetician',                            '{milady,jri}'),
  ('esthetician-advanced',      'Advanced Esthetician',                   '{milady,jri}'),
  ('esthetician-instructor',    'Esthetician Instructor',                 '{milady,jri}'),
  ('nail-technician',           'Nail Technician',                        '{milady,jri}'),
  ('nail-technician-advanced',  'Advanced Nail Technician',               '{milady,jri}'),
  -- CareerSafe → Certiport
  ('hvac',                      'HVAC Technician',                        '{careersafe,certiport}'),
  ('hvac-epa-608',              'HVAC – EPA 608 Certification',           '{careersafe,certiport}'),
  ('hvac-advanced',             'HVAC – Advanced Systems',                '{careersafe,certiport}'),
  ('automotive',                'Automotive Technician',                  '{careersafe,certiport}'),
  ('diesel',                    'Diesel Technician',                      '{careersafe,certiport}'),
  ('manufacturing',             'Manufacturing',                          '{careersafe,certiport}'),
  ('building-maintenance',      'Building Maintenance',                   '{careersafe,certiport}'),
  ('solar',                     'Solar Installation',                     '{careersafe,certiport}'),
  -- CareerSafe only
  ('forklift',                  'Forklift Operator',                      '{careersafe}'),
  -- Certiport only
  ('it-support',                'IT Support',                             '{certiport}'),
  ('cybersecurity',             'Cybersecurity',                          '{certiport}'),
  ('web-development',           'Web Development',                        '{certiport}'),
  ('data-analytics',            'Data Analytics',                         '{certiport}'),
  -- JRI → Certiport
  ('administrative-assistant',  'Administrative Assistant',               '{jri,certiport}'),
  ('customer-service',          'Customer Service',                       '{jri,certiport}'),
  ('bookkeeping',               'Bookkeeping',                            '{jri,certiport}'),
  -- JRI only
  ('business-start-up',         'Business Start-Up',                      '{jri}'),
  ('entrepreneurship',          'Entrepreneurship',                       '{jri}'),
  ('cdl-class-a',               'CDL – Class A',                          '{jri}'),
  ('cdl-class-b',               'CDL – Class B',                          '{jri}'),
  ('peer-recovery',             'Peer Recovery Specialist',               '{jri}'),
  ('peer-support',              'Peer Support Specialist',                '{jri}'),
  ('recovery-coach',            'Recovery Coach',                         '{jri}'),
  ('reentry-specialist',        'Reentry Specialist',                     '{jri}'),
  ('direct-support',            'Direct Support Professional',            '{jri}'),
  ('life-coach',                'Life Coach',                             '{jri}'),
  ('real-estate',               'Real Estate',                            '{jri}'),
  ('insurance',                 'Insurance',                              '{jri}'),
  ('tax-preparation',           'Tax Preparation',                        '{jri}'),
  ('youth-culinary',            'Youth Culinary',                         '{jri}');

insert into public.programs (slug, name)
select slug, name from seed_programs
on conflict (slug) do update set name = excluded.name;

insert into public.program_partner_lms (program_id, provider_id, sequence_order)
select p.id, prov.id, s.ord
from seed_programs sp
cross join lateral unnest(sp.sequence) with ordinality as s (provider_slug, ord)
join public.programs p on p.slug = sp.slug
join public.partner_lms_providers prov on prov.slug = s.provider_slug
on conflict (program_id, sequence_order) do update set provider_id = excluded.provider_id;

-- Demo users (fixed ids so the development sign-in page can list them).
insert into auth.users (id, email) values
  ('00000000-0000-4000-a000-000000000001', 'admin@example.org'),
  ('00000000-0000-4000-a000-000000000011', 'ada.pending@example.org'),
  ('00000000-0000-4000-a000-000000000012', 'ben.midway@example.org'),
  ('00000000-0000-4000-a000-000000000013', 'cara.stuck@example.org'),
  ('00000000-0000-4000-a000-000000000014', 'dev.failed@example.org'),
  ('00000000-0000-4000-a000-000000000015', 'eve.done@example.org')
on conflict (id) do nothing;

insert into public.profiles (id, email, full_name, role) values
  ('00000000-0000-4000-a000-000000000001', 'admin@example.org',       'Alex Admin',   'admin'),
  ('00000000-0000-4000-a000-000000000011', 'ada.pending@example.org', 'Ada Okafor',   'student'),
  ('00000000-0000-4000-a000-000000000012', 'ben.midway@example.org',  'Ben Castillo', 'student'),
  ('00000000-0000-4000-a000-000000000013', 'cara.stuck@example.org',  'Cara Nguyen',  'student'),
  ('00000000-0000-4000-a000-000000000014', 'dev.failed@example.org',  'Dev Patel',    'student'),
  ('00000000-0000-4000-a000-000000000015', 'eve.done@example.org',    'Eve Johnson',  'student')
on conflict (id) do nothing;

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
