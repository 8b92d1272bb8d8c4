-- Seed: the five training partners and the program list with each program's partner sequence
-- (real configuration, from the original system). Configuration only, safe for production:
-- `make seed`, `supabase db push --include-seed`. Idempotent: run it as often as you like.
-- Demo students and the demo admin live in supabase/demo.sql (`make run`, the tests, local
-- `supabase db reset`), never loaded by `make seed`.
--
-- Every statement stands alone: the Supabase CLI prepares all of a file's statements before it
-- runs the first, so no statement may depend on an object an earlier one creates.
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

-- The programs and, in the same statement, their partner sequences.
with seed_programs (slug, name, sequence) as (values
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
  ('youth-culinary',            'Youth Culinary',                         '{jri}')
), upserted as (
  insert into public.programs (slug, name)
  select slug, name from seed_programs
  on conflict (slug) do update set name = excluded.name
  returning id, slug
)
insert into public.program_partner_lms (program_id, provider_id, sequence_order)
select p.id, prov.id, s.ord
from seed_programs sp
cross join lateral unnest(sp.sequence::text[]) with ordinality as s (provider_slug, ord)
join upserted p on p.slug = sp.slug
join public.partner_lms_providers prov on prov.slug = s.provider_slug
on conflict (program_id, sequence_order) do update set provider_id = excluded.provider_id;
