-- The dashboard's live part in one call: the first page of each list the dashboard shows (stuck,
-- late, failed, awaiting manual enrollment, events to review), filtered by program and partner
-- slug, and the headline numbers taken from those same lists' totals, so a number never
-- contradicts the list beside it (capped: which totals stopped counting at 1,000). Steps in progress and
-- completed come from the monitoring snapshot (per program from the funnel, else per partner),
-- with its time (snapshot_at). Security invoker: public.admin_list checks the caller (42501).
create or replace function public.admin_overview(
  p_program text default null, p_partner text default null, p_page_size integer default null)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v jsonb := '{}';
  v_list text;
begin
  foreach v_list in array array['stuck', 'late', 'failed', 'awaiting'] loop
    v := v || pg_catalog.jsonb_build_object(v_list,
      public.admin_list(v_list, p_program, p_partner, null, null, null, 1, p_page_size));
  end loop;
  v := v || pg_catalog.jsonb_build_object(
    'events', public.admin_list('events', p_program, p_partner, 'review', null, null, 1, p_page_size),
    -- steps in progress / completed: the snapshot's per-program (funnel) or per-partner numbers
    'in_progress', case when p_program is null
      then (select coalesce(sum(x.in_progress), 0) from public.monitor_pipeline() x
            where p_partner is null or x.provider_slug = p_partner)
      else (select coalesce(sum(x.in_progress), 0) from public.monitor_funnel(p_program) x
            where p_partner is null or x.provider_slug = p_partner) end,
    'completed_steps', case when p_program is null
      then (select coalesce(sum(x.completed), 0) from public.monitor_pipeline() x
            where p_partner is null or x.provider_slug = p_partner)
      else (select coalesce(sum(x.completed), 0) from public.monitor_funnel(p_program) x
            where p_partner is null or x.provider_slug = p_partner) end,
    'snapshot_at', (select max(x.refreshed_at) from public.monitor_pipeline() x),
    'as_of', pg_catalog.now(),
    'program_name', (select g.name from public.programs g where g.slug = p_program),
    'partner_name', (select v.provider_name from public.partner_lms_providers v where v.slug = p_partner));
  return v || pg_catalog.jsonb_build_object('summary', pg_catalog.jsonb_build_object(
    'in_progress', v -> 'in_progress', 'completed_steps', v -> 'completed_steps',
    'stuck', v -> 'stuck' -> 'total', 'late', v -> 'late' -> 'total', 'failed', v -> 'failed' -> 'total',
    'awaiting', v -> 'awaiting' -> 'total', 'waiting_events', v -> 'events' -> 'total', 'as_of', v -> 'as_of',
    'snapshot_at', v -> 'snapshot_at',
    'capped', (select coalesce(pg_catalog.jsonb_object_agg(k, true), '{}')
               from pg_catalog.unnest(array['stuck', 'late', 'failed', 'awaiting', 'events']) k
               where (v -> k ->> 'total_capped')::boolean)));
end
$$;
comment on function public.admin_overview(text, text, integer) is 'The admin dashboard''s live lists (stuck, late, failed, awaiting, events to review; first page each) filtered by program and partner, and headline numbers from the same lists'' totals. Admins only (42501), PS080 on a bad filter.';
revoke all on function public.admin_overview(text, text, integer) from public, anon, authenticated;
grant execute on function public.admin_overview(text, text, integer) to authenticated, service_role;
