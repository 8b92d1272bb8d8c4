-- Inserting an enrollment is all it takes: its steps are generated and the first started in the
-- same transaction, whatever path inserted the row.
create or replace function private.tg_enrollments__generate_steps()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  perform public.generate_enrollment_steps(new.id);
  return null;
end
$$;
comment on function private.tg_enrollments__generate_steps() is 'After insert on enrollments: generate_enrollment_steps(new.id).';
revoke all on function private.tg_enrollments__generate_steps() from public, anon, authenticated;
