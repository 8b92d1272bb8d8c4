-- The enrollment's step in progress (zero rows when none). RLS applies: a student asking about
-- someone else's enrollment sees nothing.
create or replace function public.get_current_step(p_enrollment_id uuid)
returns setof public.enrollment_steps
language sql
stable
security invoker
set search_path = ''
rows 1
as $$
  select s.* from public.enrollment_steps s
  where s.enrollment_id = p_enrollment_id and s.status = 'in_progress'
$$;
comment on function public.get_current_step(uuid) is 'The in-progress step of an enrollment, or no row.';
revoke all on function public.get_current_step(uuid) from public, anon;
grant execute on function public.get_current_step(uuid) to authenticated, service_role;
