-- The e-mail log, one row per event. Policies: sql/policies/public/email_sends.sql.
create table public.email_sends (
  id bigint generated always as identity primary key,
  dedupe_key text not null unique,
  msg_id bigint,
  template text not null,
  to_address text not null,
  user_id uuid references public.profiles (id) on delete set null,
  subject text,
  message_id text not null,
  status text not null default 'sending' check (status in ('sending', 'sent', 'skipped')),
  attempts integer not null default 1,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index email_sends_user_id_idx on public.email_sends (user_id);
alter table public.email_sends enable row level security;

revoke all on public.email_sends from anon, authenticated;
grant select on public.email_sends to authenticated;
grant all on public.email_sends to service_role;
revoke all on sequence public.email_sends_id_seq from public, anon, authenticated;

comment on table public.email_sends is 'Every email: one row per event (dedupe key), so a retried job never sends twice.';
