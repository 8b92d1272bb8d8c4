-- What a step override would do, for the confirmation page, or (p_action null) where the step's
-- enrollment stands now, for the message after an override. Read-only.
--   step: student, program, partner, status, order, partner id
--   enrollment_status, current (the step in progress now: id, partner, order), certificate
--   allowed / why_not / actions: whether p_action (retry, skip, fail, complete, link) applies to
--   the step's status (private.step_actions: what the admin_* overrides accept)
--   effects: sentences saying what happens next (which partner starts, which email is sent)
-- 42501 unless the caller is an admin; PS002 for an unknown step, PS080 for an unknown action.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_step_preview (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_step_preview(p_step_id uuid, p_action text default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
declare
  v_step jsonb;
  v_status text;
  v_enrollment uuid;
  v_order integer;
  v_adapter text;
  v_linked boolean;
  v_next jsonb;
  v_current jsonb;
  v_allowed text[];
  v_effects text[] := '{}';
begin
  perform private.admin_caller();
  select pg_catalog.jsonb_build_object(
           'step_id', s.id, 'enrollment_id', e.id, 'user_id', p.id,
           'student_name', coalesce(nullif(p.full_name, ''), p.email), 'email', p.email,
           'program_name', g.name, 'provider_name', v.provider_name, 'provider_slug', v.slug,
           'status', s.status, 'sequence_order', s.sequence_order,
           'steps', (select count(*) from public.enrollment_steps o where o.enrollment_id = e.id),
           'external_enrollment_id', s.external_enrollment_id, 'enrollment_status', e.status),
         s.status, e.id, s.sequence_order, v.adapter, s.external_enrollment_id is not null
    into v_step, v_status, v_enrollment, v_order, v_adapter, v_linked
  from public.enrollment_steps s
  join public.enrollments e on e.id = s.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
  join public.partner_lms_providers v on v.id = s.provider_id
  where s.id = p_step_id;
  if not found then
    raise exception 'step % not found', p_step_id using errcode = 'PS002';
  end if;

  select pg_catalog.jsonb_build_object('step_id', s.id, 'provider_name', v.provider_name,
                                       'sequence_order', s.sequence_order, 'adapter', v.adapter)
    into v_current
  from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id
  where s.enrollment_id = v_enrollment and s.status = 'in_progress';
  -- the step advance_to_next_step would start after this one is done
  select pg_catalog.jsonb_build_object('step_id', s.id, 'provider_name', v.provider_name,
                                       'sequence_order', s.sequence_order, 'adapter', v.adapter)
    into v_next
  from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id
  where s.enrollment_id = v_enrollment and s.id <> p_step_id and not private.step_is_done(s.status)
  order by s.sequence_order limit 1;

  if p_action is not null and p_action not in ('retry', 'skip', 'fail', 'complete', 'link') then
    raise exception 'no step action %', pg_catalog.left(p_action, 40) using errcode = 'PS080';
  end if;
  v_allowed := private.step_actions(v_status);

  if p_action in ('skip', 'complete') then
    v_effects := v_effects || pg_catalog.format('Step %s (%s) becomes %s.', v_order, v_step ->> 'provider_name',
                                                case p_action when 'skip' then 'skipped (waived)' else 'completed' end);
    if v_step ->> 'enrollment_status' <> 'active' then
      v_effects := v_effects || pg_catalog.format('The enrollment is %s: no next partner is started.',
                                                  v_step ->> 'enrollment_status');
    elsif v_next is null then
      v_effects := v_effects || 'This is the last open step: the program is completed, the certificate is issued and the student gets the "program completed" email.'::text;
    elsif (v_next ->> 'sequence_order')::integer < v_order or v_status = 'pending' then
      v_effects := v_effects || pg_catalog.format('The step in progress stays %s (step %s).',
                                                  v_next ->> 'provider_name', v_next ->> 'sequence_order');
    elsif private.step_awaits_manual_enrollment('in_progress', v_next ->> 'adapter', null) then
      v_effects := v_effects || pg_catalog.format('Step %s (%s) starts. %s has no API: an admin must enroll the student there and enter the partner''s id; admins are alerted.',
                                                  v_next ->> 'sequence_order', v_next ->> 'provider_name', v_next ->> 'provider_name');
    else
      v_effects := v_effects || pg_catalog.format('Step %s (%s) starts: the student is enrolled at %s through its API, then gets the "step started" email with the launch link.',
                                                  v_next ->> 'sequence_order', v_next ->> 'provider_name', v_next ->> 'provider_name');
    end if;
  elsif p_action = 'retry' then
    v_effects := v_effects || case when private.step_awaits_manual_enrollment('in_progress', v_adapter, null)
      then pg_catalog.format('The step is in progress again. %s has no API: an admin must enroll the student there and enter the partner''s id.', v_step ->> 'provider_name')
      else pg_catalog.format('The step is in progress again and the enrollment at %s is queued again; when it succeeds the student gets the "step started" email.', v_step ->> 'provider_name') end;
  elsif p_action = 'fail' then
    v_effects := v_effects || 'The step becomes failed with your reason as its error; the enrollment stops here until an admin retries, skips or completes it. No email is sent.'::text;
  elsif p_action = 'link' then
    v_effects := v_effects || 'The partner''s enrollment id (and launch URL) are saved on the step; webhook events already received for that id are applied at once.'::text;
    if v_status = 'in_progress' and not v_linked then
      v_effects := v_effects || 'The student gets the "step started" email with the launch link.'::text;
    end if;
  end if;

  return pg_catalog.jsonb_build_object(
    'step', v_step, 'current', v_current, 'next', v_next, 'action', p_action,
    'allowed', p_action is null or p_action = any (v_allowed),
    'actions', pg_catalog.to_jsonb(v_allowed),
    'why_not', case when p_action is not null and not p_action = any (v_allowed)
                    then pg_catalog.format('the step is %s; %s', pg_catalog.replace(v_status, '_', ' '),
                                           case when v_allowed = '{}' then 'no override applies to it'
                                                else 'it accepts ' || pg_catalog.array_to_string(v_allowed, ', ') end) end,
    'effects', pg_catalog.to_jsonb(v_effects),
    'certificate', (select pg_catalog.jsonb_build_object('id', c.id, 'issued_at', c.issued_at,
                                                         'revoked_at', c.revoked_at)
                    from public.certificates c where c.enrollment_id = v_enrollment));
end
$$;
comment on function private.admin_step_preview(uuid, text) is 'Body of public.admin_step_preview (security definer, outside the exposed schema): what a step override (retry, skip, fail, complete, link) would do, or where the enrollment stands now. Admins only (42501); PS002, PS080.';
revoke all on function private.admin_step_preview(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_step_preview(uuid, text) to authenticated, service_role;
