-- The Data API entry point (/rest/v1/rpc/admin_list): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_list(
  p_list text, p_program text default null, p_partner text default null, p_status text default null,
  p_q text default null, p_sort text default null, p_page integer default 1, p_page_size integer default null)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.admin_list(p_list, p_program, p_partner, p_status, p_q, p_sort, p_page, p_page_size)
$$;
comment on function public.admin_list(text, text, text, text, text, text, integer, integer) is 'One admin list (stuck, late, failed, awaiting, steps, events, jobs, students) filtered by program, partner, status and search, sorted and paginated in SQL, with its total. PS080 on a bad parameter; admins only (42501).';
revoke all on function public.admin_list(text, text, text, text, text, text, integer, integer) from public, anon, authenticated;
grant execute on function public.admin_list(text, text, text, text, text, text, integer, integer) to authenticated, service_role;
