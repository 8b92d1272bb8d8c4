-- Server-side sign-out: the sessions signed out at /logout. A session is the access token's
-- `session_id` claim (Supabase Auth puts one in every token), else `<sub>:<iat>` (tokens minted
-- without it). public.session_is_active() refuses a token whose session is listed here, so a
-- signed-out token cannot be used again even before it expires. A row is useless once the
-- token has expired (expires_at). Policies: sql/policies/private/signed_out_sessions.sql.
create table private.signed_out_sessions (
  session_key text primary key check (pg_catalog.length(session_key) between 1 and 200),
  user_id uuid not null,
  signed_out_at timestamptz not null default now(),
  expires_at timestamptz
);
alter table private.signed_out_sessions enable row level security;
create index signed_out_sessions_user_id_idx on private.signed_out_sessions (user_id);

revoke all on private.signed_out_sessions from anon, authenticated;
grant select, insert on private.signed_out_sessions to authenticated;
grant select, insert, delete on private.signed_out_sessions to service_role;

comment on table private.signed_out_sessions is 'Sessions signed out at /logout (server-side sign-out): their tokens are refused by public.session_is_active() until they expire.';
comment on column private.signed_out_sessions.session_key is 'The token''s session_id claim, else <sub>:<iat>.';
comment on column private.signed_out_sessions.user_id is 'The user who signed out (auth.users.id, the token''s sub).';
comment on column private.signed_out_sessions.signed_out_at is 'When the user signed out.';
comment on column private.signed_out_sessions.expires_at is 'When the signed-out token expires anyway (its exp claim); the row is useless after that.';
