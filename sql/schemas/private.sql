-- private: what the Data API does not expose. Security definer bodies (admin overrides,
-- monitoring, certificate verification) behind security invoker entry points in public, helpers,
-- trigger functions and the monitoring snapshot. Signed-in users and the service role look up
-- names here (each function still revokes execute from PUBLIC and grants it one by one); visitors
-- (anon) too, for private.verify_certificate, the only body granted to anon.
create schema if not exists private;
grant usage on schema private to authenticated, service_role;
grant usage on schema private to anon;
comment on schema private is 'Not exposed by the Data API: security definer bodies behind public entry points, helpers, trigger functions, the monitoring snapshot.';
