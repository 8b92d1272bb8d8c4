-- The webhook's single round trip: store a signature-verified event in the durable inbox and
-- apply it, in one transaction. A second delivery of the same webhook-id (per partner) changes
-- nothing and answers "duplicate". The glue verifies the signature and maps the returned status
-- to HTTP; it decides nothing else. PS011: unknown partner; PS010: unusable webhook-id.
create or replace function public.receive_partner_event(
  p_provider_slug text, p_webhook_id text, p_body text)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_provider_id uuid;
  v_payload jsonb;
  v_event_id bigint;
  v_existing public.partner_events;
begin
  select p.id into v_provider_id from public.partner_lms_providers p where p.slug = p_provider_slug;
  if not found then
    raise exception 'unknown partner %', p_provider_slug using errcode = 'PS011';
  end if;
  if p_webhook_id is null or pg_catalog.length(p_webhook_id) not between 1 and 255 then
    raise exception 'webhook-id must be 1 to 255 characters' using errcode = 'PS010';
  end if;
  begin
    v_payload := p_body::jsonb;
  exception when others then
    v_payload := null;  -- stored as received and rejected by apply_partner_event
  end;

  insert into public.partner_events (provider_id, webhook_id, event_type, payload, body, external_enrollment_id)
  values (v_provider_id, p_webhook_id,
          case when pg_catalog.jsonb_typeof(v_payload -> 'type') = 'string' then pg_catalog.left(v_payload ->> 'type', 100) end,
          v_payload,
          case when v_payload is null then p_body end,
          private.event_external_id(v_payload))
  on conflict (provider_id, webhook_id) do nothing
  returning id into v_event_id;

  if v_event_id is null then
    select e.* into v_existing from public.partner_events e
    where e.provider_id = v_provider_id and e.webhook_id = p_webhook_id;
    return pg_catalog.jsonb_build_object('status', 'duplicate', 'event_id', v_existing.id,
                                         'original_status', v_existing.status);
  end if;
  return private.apply_partner_event(v_event_id);
end
$$;
comment on function public.receive_partner_event(text, text, text) is 'Webhook entry point: stores a verified partner event in the inbox (unique per partner + webhook-id) and applies it, in one transaction. Returns {status: processed|duplicate|ignored|unmatched|deferred|rejected, event_id, ...}. PS010, PS011.';
revoke all on function public.receive_partner_event(text, text, text) from public, anon, authenticated;
grant execute on function public.receive_partner_event(text, text, text) to service_role;
