-- Queue one email to one user, at most once per dedupe key (the event it is about).
create or replace function private.enqueue_email(
  p_template text, p_user_id uuid, p_context jsonb, p_dedupe_key text)
returns bigint
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  return (
    select queue.send('email',
      pg_catalog.jsonb_build_object('template', p_template, 'to', p.email,
        'to_name', coalesce(nullif(p.full_name, ''), p.email), 'user_id', p.id, 'context', p_context),
      0, p_dedupe_key)
    from public.profiles p
    where p.id = p_user_id and p.email is not null
  );
end
$$;
comment on function private.enqueue_email(text, uuid, jsonb, text) is 'Queues an email (template + context) to a user, once per dedupe key.';
revoke all on function private.enqueue_email(text, uuid, jsonb, text) from public, anon, authenticated;
grant execute on function private.enqueue_email(text, uuid, jsonb, text) to service_role;
