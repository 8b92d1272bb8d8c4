-- Exponential backoff with full jitter (AWS architecture blog): a uniformly random delay in
-- [0, min(cap, base * 2^(attempt-1))). p_random is the uniform draw, a parameter so tests can pin it.
create or replace function queue.backoff_delay(
  p_attempt integer, p_base_seconds double precision, p_cap_seconds double precision,
  p_random double precision default pg_catalog.random())
returns interval
language sql
volatile
security invoker
set search_path = ''
as $$
  select pg_catalog.make_interval(secs =>
    least(p_cap_seconds, p_base_seconds * pg_catalog.power(2::double precision, least(greatest(p_attempt, 1), 60) - 1))
    * least(greatest(p_random, 0), 1))
$$;
comment on function queue.backoff_delay(integer, double precision, double precision, double precision) is 'Full-jitter exponential backoff: random in [0, min(cap, base*2^(attempt-1))].';
revoke all on function queue.backoff_delay(integer, double precision, double precision, double precision) from public, anon, authenticated;
grant execute on function queue.backoff_delay(integer, double precision, double precision, double precision) to service_role;
