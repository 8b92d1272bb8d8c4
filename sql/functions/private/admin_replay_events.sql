-- Admin override: replay a selection of stored partner events (1 to 100), in id order, each
-- through private.admin_replay_event (audited one by one with the same reason). Returns
-- [{event_id, status}] with each event's new status. 42501, PS007, PS012, PS080 (empty or over
-- 100 ids).
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_replay_events (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_replay_events(p_event_ids bigint[], p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_id bigint;
  v_result jsonb := '[]';
begin
  perform private.authorize_step_override(p_reason);
  if coalesce(pg_catalog.cardinality(p_event_ids), 0) not between 1 and 100 then
    raise exception 'choose 1 to 100 events to replay' using errcode = 'PS080';
  end if;
  foreach v_id in array (select pg_catalog.array_agg(distinct i order by i) from pg_catalog.unnest(p_event_ids) i) loop
    v_result := v_result || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
      'event_id', v_id, 'status', private.admin_replay_event(v_id, p_reason) ->> 'status'));
  end loop;
  return v_result;
end
$$;
comment on function private.admin_replay_events(bigint[], text) is 'Body of public.admin_replay_events (security definer, outside the exposed schema): Admin override: replays 1 to 100 stored partner events, each audited; returns their new statuses. 42501, PS007, PS012, PS080.';
revoke all on function private.admin_replay_events(bigint[], text) from public, anon, authenticated;
grant execute on function private.admin_replay_events(bigint[], text) to authenticated, service_role;
