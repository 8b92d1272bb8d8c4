-- When an enrollment completes: exactly one certificate (unique per enrollment, an unguessable
-- verification code), and its PDF queued for the worker, in the same transaction. Waived steps:
-- no certificate when no step was completed (every one waived), nor when one was waived and the
-- program's waived_steps_certificate is 'deny'; otherwise the certificate lists them as waived.
create or replace function private.tg_enrollments__issue_certificate()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_certificate_id uuid;
  v_job_id bigint;
begin
  if not exists (select 1 from public.enrollment_steps s where s.enrollment_id = new.id and s.status = 'completed')
     or (exists (select 1 from public.enrollment_steps s where s.enrollment_id = new.id and s.status = 'skipped')
         and (select g.waived_steps_certificate from public.programs g where g.id = new.program_id) = 'deny') then
    return null;
  end if;
  insert into public.certificates (enrollment_id)
  values (new.id)
  on conflict (enrollment_id) do nothing
  returning id into v_certificate_id;
  if v_certificate_id is not null then
    -- an assignment, not perform: the call is an expression, with no statement of its own
    v_job_id := queue.send('certificate', pg_catalog.jsonb_build_object('certificate_id', v_certificate_id),
                           0, 'certificate:' || new.id);
  end if;
  return null;
end
$$;
comment on function private.tg_enrollments__issue_certificate() is 'After an enrollment becomes completed: creates its one certificate and queues the PDF; none when every step was waived, or one was and the program denies it (programs.waived_steps_certificate).';
revoke all on function private.tg_enrollments__issue_certificate() from public, anon, authenticated;
