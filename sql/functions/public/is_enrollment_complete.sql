-- True when the enrollment has at least one step and every step is completed or skipped.
-- (A failed step is not complete.) "Done" is private.step_is_done, as on the student page.
create or replace function public.is_enrollment_complete(p_enrollment_id uuid)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return exists (select 1 from public.enrollment_steps s where s.enrollment_id = p_enrollment_id)
     and not exists (
       select 1 from public.enrollment_steps s
       where s.enrollment_id = p_enrollment_id and not private.step_is_done(s.status)
     );
end
$$;
comment on function public.is_enrollment_complete(uuid) is 'True when the enrollment has steps and all are completed or skipped (failed is not complete).';
revoke all on function public.is_enrollment_complete(uuid) from public, anon;
grant execute on function public.is_enrollment_complete(uuid) to authenticated, service_role;
