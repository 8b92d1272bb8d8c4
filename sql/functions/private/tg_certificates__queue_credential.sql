-- A new certificate: queue the signing of its Open Badges credential (once per certificate).
create or replace function private.tg_certificates__queue_credential()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_job_id bigint;
begin
  -- an assignment, not perform: the call is an expression, with no statement of its own
  v_job_id := queue.send('credential', pg_catalog.jsonb_build_object('certificate_id', new.id),
                         0, 'credential:' || new.id);
  return null;
end
$$;
comment on function private.tg_certificates__queue_credential() is 'After a certificate is inserted: queues its Open Badges credential for the worker to sign.';
revoke all on function private.tg_certificates__queue_credential() from public, anon, authenticated;
