-- Gate of every admin override: the caller must be an admin (JWT of a profile with role admin),
-- the service role, or a direct database session (a DBA in psql); a reason is mandatory (3 to 500
-- characters; line breaks and tabs allowed, other control characters not).
-- Sets the audit context so the transition records who acted and why.
create or replace function private.authorize_step_override(p_reason text)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_actor text := private.admin_caller();
begin
  if p_reason is null or length(btrim(p_reason)) < 3 then
    raise exception 'a reason is required for an override (at least 3 characters)'
      using errcode = 'PS007';
  elsif length(p_reason) > 500 then
    raise exception 'the reason must be at most 500 characters (this one has %)', length(p_reason)
      using errcode = 'PS007';
  elsif p_reason ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' then
    raise exception 'the reason must not contain control characters' using errcode = 'PS007';
  end if;
  perform private.set_audit_context(btrim(p_reason), v_actor);
end
$$;
comment on function private.authorize_step_override(text) is 'Raises 42501 unless the caller is an admin, the service role or a direct DB session; PS007 without a reason (3-500 characters, no control characters but line breaks and tabs). Sets the audit context.';
revoke all on function private.authorize_step_override(text) from public, anon, authenticated;
grant execute on function private.authorize_step_override(text) to service_role;
