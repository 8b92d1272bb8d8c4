-- Serialize everything about one partner enrollment id: storing an event for it that matches no
-- step yet, and linking a step to it. Without this, an event committed as "unmatched" just after
-- the link's trigger looked for waiting events would wait forever. Lock order, everywhere:
-- this lock, then the enrollment row, then the step row (see lock_step).
create or replace function private.lock_partner_link(p_provider_id uuid, p_external_enrollment_id text)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  perform pg_catalog.pg_advisory_xact_lock(
    pg_catalog.hashtextextended(p_provider_id::text || '/' || p_external_enrollment_id, 7283991));
end
$$;
comment on function private.lock_partner_link(uuid, text) is 'Transaction-scoped advisory lock on (partner, partner enrollment id); taken before the enrollment and step row locks.';
revoke all on function private.lock_partner_link(uuid, text) from public, anon, authenticated;
grant execute on function private.lock_partner_link(uuid, text) to service_role;
