-- The Data API entry point (/rest/v1/rpc/monitor_table_sizes): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_table_sizes()
returns table (table_name text, rows_estimate bigint, total_bytes bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_table_sizes()
$$;
comment on function public.monitor_table_sizes() is 'Live: row estimate and total bytes of the tables that grow with traffic (partner events, queue, archive, transitions, emails, certificates), largest first. Admins only.';
revoke all on function public.monitor_table_sizes() from public, anon, authenticated;
grant execute on function public.monitor_table_sizes() to authenticated, service_role;
