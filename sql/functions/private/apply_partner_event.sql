-- Apply one stored partner event through the state machine; the single place that gives
-- webhook events their meaning. Partner-scoped: an event only ever touches steps at the partner
-- that sent it. Sets the event's status and returns {status, event_id, step_id?, error?}:
--   processed  applied (or already true: a completion for a completed step)
--   ignored    unknown event type, or nothing left to do (step skipped)
--   unmatched  no step at this partner has that external id yet: applied when the link appears
--   deferred   the step is pending or failed: applied when it is in progress again
--   rejected   the payload is malformed (the partner must fix and resend)
-- Called by receive_partner_event, replay_partner_event and the link trigger.
create or replace function private.apply_partner_event(p_event_id bigint)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_event public.partner_events;
  v_data jsonb;
  v_type text;
  v_ext text;
  v_step public.enrollment_steps;
  v_status text;
  v_error text;
  v_percent numeric;
  v_ignored text;
  v_next_step_id uuid;
begin
  select e.* into v_event from public.partner_events e where e.id = p_event_id for update;
  if not found then
    raise exception 'partner event % not found', p_event_id using errcode = 'PS012';
  end if;
  if v_event.status = 'processed' then
    return pg_catalog.jsonb_build_object('status', 'processed', 'event_id', v_event.id, 'step_id', v_event.step_id);
  end if;

  v_data := v_event.payload -> 'data';
  v_type := v_event.payload ->> 'type';
  v_ext := private.event_external_id(v_event.payload);

  -- the envelope: {"type": "...", "timestamp": "...", "data": {...}}
  if v_event.payload is null then
    v_status := 'rejected'; v_error := 'the body is not valid JSON';
  elsif pg_catalog.jsonb_typeof(v_event.payload) <> 'object' then
    v_status := 'rejected'; v_error := 'the body must be a JSON object';
  elsif pg_catalog.jsonb_typeof(v_event.payload -> 'type') is distinct from 'string'
        or pg_catalog.length(v_type) not between 1 and 100 then
    v_status := 'rejected'; v_error := '"type" must be a non-empty string';
  elsif pg_catalog.jsonb_typeof(v_data) is distinct from 'object' then
    v_status := 'rejected'; v_error := '"data" must be a JSON object';
  elsif v_event.payload ? 'timestamp' and (pg_catalog.jsonb_typeof(v_event.payload -> 'timestamp') <> 'string'
        or not private.is_timestamp(v_event.payload ->> 'timestamp')) then
    v_status := 'rejected'; v_error := '"timestamp" must be an ISO-8601 date-time';
  elsif v_type not in ('course.completed', 'certificate.issued', 'progress.updated', 'enrollment.created') then
    v_status := 'ignored'; v_error := pg_catalog.format('event type %s is not used by this system', v_type);
  elsif v_ext is null then
    v_status := 'rejected'; v_error := 'data.external_enrollment_id must be a non-empty string (at most 200 characters)';

  elsif v_type = 'enrollment.created' then
    if pg_catalog.jsonb_typeof(v_data -> 'reference') is distinct from 'string'
       or (v_data ->> 'reference') !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
      v_status := 'rejected'; v_error := 'data.reference must be the step id we sent when enrolling (a UUID)';
    elsif v_data ? 'launch_url' and v_data -> 'launch_url' <> 'null'::jsonb
          and (pg_catalog.jsonb_typeof(v_data -> 'launch_url') <> 'string' or (v_data ->> 'launch_url') !~ '^https?://') then
      v_status := 'rejected'; v_error := 'data.launch_url must be an http(s) URL';
    else
      select s.* into v_step from public.enrollment_steps s
      where s.id = (v_data ->> 'reference')::uuid and s.provider_id = v_event.provider_id;
      if not found then
        v_status := 'rejected'; v_error := 'data.reference does not name a step at this partner';
      else
        v_error := private.link_step(v_step.id, v_ext, v_data ->> 'launch_url');
        v_status := case when v_error is null then 'processed' else 'rejected' end;
      end if;
    end if;

  else
    -- course.completed, certificate.issued, progress.updated: validate, then find the step
    if v_type = 'course.completed' and (
         (pg_catalog.jsonb_typeof(v_data -> 'completed_at') <> 'null'
          and not coalesce(private.is_timestamp(v_data ->> 'completed_at'), false))
         or (pg_catalog.jsonb_typeof(v_data -> 'completedAt') <> 'null'
             and not coalesce(private.is_timestamp(v_data ->> 'completedAt'), false))) then
      v_status := 'rejected'; v_error := 'data.completed_at must be an ISO-8601 date-time';
    elsif v_type = 'course.completed' and v_data ? 'score' and v_data -> 'score' <> 'null'::jsonb
          and pg_catalog.jsonb_typeof(v_data -> 'score') <> 'number' then
      v_status := 'rejected'; v_error := 'data.score must be a number';
    elsif v_type = 'progress.updated' and (pg_catalog.jsonb_typeof(v_data -> 'percent') is distinct from 'number'
          or (v_data ->> 'percent')::numeric not between 0 and 100) then
      v_status := 'rejected'; v_error := 'data.percent must be a number from 0 to 100';
    elsif v_type = 'certificate.issued' and v_data ? 'certificate_url' and v_data -> 'certificate_url' <> 'null'::jsonb
          and (pg_catalog.jsonb_typeof(v_data -> 'certificate_url') <> 'string' or (v_data ->> 'certificate_url') !~ '^https?://') then
      v_status := 'rejected'; v_error := 'data.certificate_url must be an http(s) URL';
    else
      select s.* into v_step from public.enrollment_steps s
      where s.provider_id = v_event.provider_id and s.external_enrollment_id = v_ext;
      if not found then
        -- wait for a link being written for this id, then look again (see lock_partner_link)
        perform private.lock_partner_link(v_event.provider_id, v_ext);
        select s.* into v_step from public.enrollment_steps s
        where s.provider_id = v_event.provider_id and s.external_enrollment_id = v_ext;
      end if;
      if found then
        v_step := private.lock_step(v_step.id);  -- the step as it is now, held until commit
      end if;
      if v_step.id is null then
        v_status := 'unmatched';
        v_error := pg_catalog.format('no step at this partner has external_enrollment_id %s yet; kept and applied when it is linked', v_ext);
      elsif v_type = 'course.completed' then
        if v_step.status in ('in_progress', 'completed') then
          -- mark_step_complete's work, with the partner's result stored by the completing update
          -- itself (a second update of the step would write every index of the row again), on
          -- the step lock_step has just locked and read (complete_step would lock it again);
          -- the reason: set_audit_context called as an expression (no statement of its own)
          v_ignored := private.set_audit_context('partner reported completion');
          v_next_step_id := private.complete_locked_step(v_step, v_ext, array['in_progress'],
            pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
              'completed_at', coalesce(v_data -> 'completed_at', v_data -> 'completedAt'),
              'score', v_data -> 'score', 'event_id', v_event.id)));
          v_status := 'processed';
        elsif v_step.status = 'skipped' then
          v_status := 'ignored'; v_error := 'the step was skipped by an admin';
        else
          v_status := 'deferred';
          v_error := pg_catalog.format('the step is %s; the completion is applied when it is in progress again', v_step.status);
        end if;
      elsif v_type = 'certificate.issued' then
        update public.enrollment_steps
          set partner_certificate = partner_certificate || pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'certificate_id', v_data -> 'certificate_id', 'certificate_url', v_data -> 'certificate_url',
                'issued_at', v_data -> 'issued_at'))
          where id = v_step.id;
        v_status := 'processed';
      else  -- progress.updated: monotonic, ignored once completed
        v_percent := pg_catalog.floor((v_data ->> 'percent')::numeric);
        update public.enrollment_steps set progress_percent = v_percent::smallint
          where id = v_step.id and status <> 'completed' and progress_percent < v_percent;
        v_status := 'processed';
      end if;
    end if;
  end if;

  update public.partner_events
    set status = v_status, error = v_error, step_id = coalesce(v_step.id, step_id),
        attempts = attempts + 1, processed_at = pg_catalog.now()
    where id = p_event_id;
  return pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
    'status', v_status, 'event_id', p_event_id, 'step_id', v_step.id, 'error', v_error));
end
$$;
comment on function private.apply_partner_event(bigint) is 'Applies a stored partner event (partner-scoped) and records its status: processed, ignored, unmatched, deferred or rejected. PS012: no such event.';
revoke all on function private.apply_partner_event(bigint) from public, anon, authenticated;
grant execute on function private.apply_partner_event(bigint) to service_role;
