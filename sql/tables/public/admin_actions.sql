-- Every admin override, logged by private.record_admin_action. Policies:
-- sql/policies/public/admin_actions.sql.
create table public.admin_actions (
  id bigint generated always as identity primary key,
  actor_id uuid,
  actor_role text not null,
  action text not null,
  target text not null,
  reason text not null,
  created_at timestamptz not null default now()
);
create index admin_actions_created_at_idx on public.admin_actions (created_at desc);
alter table public.admin_actions enable row level security;

revoke all on public.admin_actions from anon, authenticated;
grant select on public.admin_actions to authenticated;
grant all on public.admin_actions to service_role;
revoke all on sequence public.admin_actions_id_seq from public, anon, authenticated;

comment on table public.admin_actions is 'Every admin override (retry, skip, fail, complete, link, replay): who, what, on what, why, when.';
