-- The slugs of all partners (the webhook endpoint's 404 check, cached by the glue).
create or replace function public.get_partner_slugs()
returns text[]
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(p.slug order by p.slug), '{}') from public.partner_lms_providers p
$$;
comment on function public.get_partner_slugs() is 'All partner slugs, sorted (used by the webhook endpoint to answer 404 for unknown partners).';
revoke all on function public.get_partner_slugs() from public, anon, authenticated;
grant execute on function public.get_partner_slugs() to service_role;
