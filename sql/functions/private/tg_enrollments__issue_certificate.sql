-- When an enrollment completes: exactly one certificate (unique per enrollment, an unguessable
-- verification code), and its PDF queued for the worker, in the same transaction.
create or replace function private.tg_enrollments__issue_certificate()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_certificate_id uuid;
begin
  insert into public.certificates (enrollment_id)
  values (new.id)
  on conflict (enrollment_id) do nothing
  returning id into v_certificate_id;
  if v_certificate_id is not null then
    perform queue.send('certificate', pg_catalog.jsonb_build_object('certificate_id', v_certificate_id),
                       0, 'certificate:' || new.id);
  end if;
  return null;
end
$$;
comment on function private.tg_enrollments__issue_certificate() is 'After an enrollment becomes completed: creates its one certificate and queues the PDF.';
revoke all on function private.tg_enrollments__issue_certificate() from public, anon, authenticated;
