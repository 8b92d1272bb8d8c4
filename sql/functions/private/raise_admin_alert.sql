-- Record an admin alert (once per dedupe key) and email every admin about it.
create or replace function private.raise_admin_alert(
  p_kind text, p_dedupe_key text, p_message text, p_step_id uuid default null)
returns bigint
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_alert_id bigint;
  v_context jsonb := coalesce(private.step_context(p_step_id), '{}'::jsonb);
  v_admin uuid;
begin
  insert into public.admin_alerts (kind, dedupe_key, message, step_id, enrollment_id)
  values (p_kind, p_dedupe_key, p_message, p_step_id, (v_context ->> 'enrollment_id')::uuid)
  on conflict (dedupe_key) do nothing
  returning id into v_alert_id;
  if v_alert_id is null then
    return null;
  end if;
  for v_admin in select p.id from public.profiles p where p.role = 'admin' order by p.id loop
    perform private.enqueue_email('admin_alert', v_admin,
      pg_catalog.jsonb_build_object('kind', p_kind, 'message', p_message, 'alert_id', v_alert_id,
        'student_name', v_context ->> 'student_name', 'student_email', v_context ->> 'student_email',
        'program_name', v_context ->> 'program_name', 'partner_name', v_context ->> 'partner_name'),
      'email:admin_alert:' || v_alert_id || ':' || v_admin);
  end loop;
  return v_alert_id;
end
$$;
comment on function private.raise_admin_alert(text, text, text, uuid) is 'Records an admin alert once per dedupe key and queues an email to each admin.';
revoke all on function private.raise_admin_alert(text, text, text, uuid) from public, anon, authenticated;
grant execute on function private.raise_admin_alert(text, text, text, uuid) to service_role;
