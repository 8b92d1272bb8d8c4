-- The enrollment's step in progress (zero rows when none). RLS applies: a student asking about
-- someone else's enrollment sees nothing. error_message (raw partner errors) is readable only by
-- roles granted that column (the service role); signed-in users get the step with it null,
-- as their column grant on enrollment_steps leaves it out (admins read errors through
-- monitor_failed_enrollments). plpgsql so that only the branch taken is planned and checked.
create or replace function public.get_current_step(p_enrollment_id uuid)
returns setof public.enrollment_steps
language plpgsql
stable
security invoker
set search_path = ''
rows 1
as $$
begin
  if pg_catalog.has_column_privilege('public.enrollment_steps', 'error_message', 'select') then
    return query
    select s.* from public.enrollment_steps s
    where s.enrollment_id = p_enrollment_id and s.status = 'in_progress';
  else
    return query
    select s.id, s.enrollment_id, s.provider_id, s.sequence_order, s.is_required, s.status, s.started_at,
           s.completed_at, s.external_enrollment_id, s.launch_url, s.progress_percent, s.partner_certificate,
           null::text, s.created_at, s.updated_at, s.partner_result
    from public.enrollment_steps s
    where s.enrollment_id = p_enrollment_id and s.status = 'in_progress';
  end if;
end
$$;
comment on function public.get_current_step(uuid) is 'The in-progress step of an enrollment, or no row (error_message null for callers who may not read it).';
revoke all on function public.get_current_step(uuid) from public, anon;
grant execute on function public.get_current_step(uuid) to authenticated, service_role;
