-- Roll back the whole feature set: every table, function, trigger and policy this project's
-- migrations created, and their rows in supabase_migrations.schema_migrations, so that
-- `make migrate` (or `supabase db push`) applies everything again from scratch.
--
-- Supabase's own surface (roles anon/authenticated/service_role, schema auth) is left alone: on a
-- Supabase project it is not ours, and on plain PostgreSQL the compatibility migration re-adopts
-- it without change. Run with:  make rollback   (or psql -f supabase/rollback.sql)

drop table if exists public.admin_actions cascade;
drop table if exists public.certificates cascade;
drop table if exists public.email_sends cascade;
drop table if exists public.admin_alerts cascade;
drop table if exists public.partner_events cascade;
drop table if exists public.step_transitions cascade;
drop table if exists public.enrollment_steps cascade;
drop table if exists public.enrollments cascade;
drop table if exists public.profiles cascade;
drop table if exists public.program_partner_lms cascade;
drop table if exists public.programs cascade;
drop table if exists public.partner_lms_providers cascade;

drop function if exists public.generate_enrollment_steps(uuid);
drop function if exists public.get_current_step(uuid);
drop function if exists public.advance_to_next_step(uuid);
drop function if exists public.mark_step_complete(uuid, text);
drop function if exists public.is_enrollment_complete(uuid);
drop function if exists public.admin_fail_step(uuid, text);
drop function if exists public.admin_skip_step(uuid, text);
drop function if exists public.admin_retry_step(uuid, text);
drop function if exists public.admin_complete_step(uuid, text, text);
drop function if exists public.admin_link_step(uuid, text, text, text);
drop function if exists public.receive_partner_event(text, text, text);
drop function if exists public.replay_partner_event(bigint);
drop function if exists public.get_partner_slugs();
drop function if exists public.record_partner_enrollment(bigint, text, text);
drop function if exists public.get_certificate_data(uuid);
drop function if exists public.store_certificate_pdf(bigint, uuid, bytea);
drop function if exists public.claim_email(bigint);
drop function if exists public.complete_email(bigint, bigint, text, text);
drop function if exists public.run_periodic_checks(integer);
drop function if exists public.verify_certificate(text);
drop function if exists public.admin_replay_event(bigint, text);
drop function if exists public.refresh_monitoring(timestamptz);
drop function if exists public.monitor_pipeline();
drop function if exists public.monitor_program_completion();
drop function if exists public.monitor_stuck_students(integer, integer, timestamptz);
drop function if exists public.monitor_bottlenecks();
drop function if exists public.monitor_funnel(text);
drop function if exists public.monitor_weekly_completions(integer);
drop function if exists public.monitor_failed_enrollments(integer);
drop function if exists public.monitor_awaiting_enrollment(integer);
drop function if exists public.monitor_partner_events();
drop function if exists public.monitor_waiting_events(integer);
drop function if exists public.monitor_queues();
-- 20261202600000_pages_and_cli_sql and 20261202600001_settings (their private helpers and
-- private.settings go with the private schema below)
drop function if exists public.student_progress();
drop function if exists public.certificate_pdf(uuid);
drop function if exists public.demo_users();
drop function if exists public.partner_events_to_replay(boolean, boolean, text);
drop function if exists public.admin_dashboard(text, text, integer, integer);
drop function if exists public.get_settings();
-- 20261202800000_sign_out (private.signed_out_sessions goes with the private schema below)
drop function if exists public.sign_out();
drop function if exists public.session_is_active();
-- (private.session_key() goes with the private schema below)
-- 20261202900000_retention (private.purge_expired_data, private.monitor_table_sizes and the
-- settings columns go with the private schema below)
drop function if exists public.monitor_table_sizes();
-- 20261203100000_purge_signed_out_sessions: private and public functions replaced, nothing new
-- 20261203300000_admin_lists (the private bodies go with the private schema below)
drop function if exists public.admin_list(text, text, text, text, text, text, integer, integer);
drop function if exists public.admin_overview(text, text, integer);
drop function if exists public.admin_step_preview(uuid, text);
-- 20261203300100_admin_events
drop function if exists public.admin_event(bigint);
drop function if exists public.admin_replay_events(bigint[], text);
-- 20261203300200_admin_student
drop function if exists public.admin_student(uuid);
drop function if exists public.admin_cancel_enrollment(uuid, text);
drop function if exists public.admin_revoke_certificate(uuid, text);
drop function if exists public.admin_reissue_certificate(uuid, text);
drop function if exists public.admin_enrollment_preview(uuid, text);
-- 20261203300300_admin_jobs
drop function if exists public.admin_dead_job(bigint, text, text);

-- The profile trigger on auth.users goes with its function (drop trigger would need ownership of
-- auth.users, which is GoTrue's on Supabase); auth.users and its rows stay.
drop function if exists private.tg_users__sync_profile() cascade;

-- The definer bodies moved to private by 20261202200000_security_advisor (private.admin_*,
-- private.monitor_*, private.refresh_monitoring, private.verify_certificate), the queue and
-- snapshot policies and anon's usage on private go with their schemas below.
drop schema if exists private cascade;
drop schema if exists queue cascade;

-- Default privileges of the migrating role, as before 20261202200000_security_advisor:
-- PostgreSQL's own default (EXECUTE for PUBLIC) and, on a Supabase project, the platform's
-- defaults in public for the API roles.
alter default privileges grant execute on functions to public;
do $$
begin
  if exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_admin') then
    alter default privileges in schema public grant execute on functions to anon, authenticated;
    alter default privileges in schema public grant all on sequences to anon, authenticated;
  end if;
end
$$;

delete from supabase_migrations.schema_migrations where version in (
  '20261122000100', '20261122000200', '20261122000300', '20261122000400',
  '20261122000500', '20261122000600', '20261122000700',
  '20261122034309', '20261202100000',
  '20261202200000', '20261202400000', '20261202500000', '20261202600000', '20261202600001',
  '20261202600002', '20261202700000', '20261202800000', '20261202900000',
  '20261203100000', '20261203200000', '20261203300000', '20261203300100', '20261203300200',
  '20261203300300', '20261203300400', '20261203400000'
);
-- issue 15 (credentials) and issue 13's waived-steps policy
drop table if exists public.credentials cascade;
drop function if exists public.credential_to_sign(uuid);
drop function if exists public.store_credential(bigint, uuid, text, text);
drop function if exists public.credential_status_list();
drop function if exists public.credential_by_code(text);
drop function if exists public.my_credentials();
drop function if exists public.queue_missing_credentials();
delete from supabase_migrations.schema_migrations where version in ('20261203500000', '20261203500001');
-- issue 14, round 4 (performance)
delete from supabase_migrations.schema_migrations where version in ('20261207100821', '20261207120000', '20261207130000');
