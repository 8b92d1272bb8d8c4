-- Future objects of the migrating role get no privilege by default: functions are executable by
-- nobody until granted one by one (PostgreSQL grants EXECUTE to PUBLIC by default; a per-schema
-- revoke cannot remove that), and, on Supabase, no function or sequence in public is granted to
-- anon/authenticated by default (the platform's own defaults grant them). Grants are written next
-- to each object (sql/functions/**, sql/tables/**). Undone by supabase/rollback.sql.
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
