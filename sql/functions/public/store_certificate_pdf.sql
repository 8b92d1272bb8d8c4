-- The worker rendered a certificate's PDF: keep it, queue the student's "program completed"
-- email (once), finish the job; one transaction.
create or replace function public.store_certificate_pdf(p_msg_id bigint, p_certificate_id uuid, p_pdf bytea)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_data jsonb := public.get_certificate_data(p_certificate_id);
begin
  if v_data is null then
    raise exception 'certificate % not found', p_certificate_id using errcode = 'PS021';
  end if;
  if p_pdf is null or pg_catalog.substr(p_pdf, 1, 4) <> '\x25504446'::bytea then
    raise exception 'not a PDF' using errcode = 'PS021';
  end if;
  update public.certificates set pdf = p_pdf, pdf_generated_at = pg_catalog.now() where id = p_certificate_id;
  perform private.enqueue_email('program_completed', (v_data ->> 'user_id')::uuid,
    pg_catalog.jsonb_build_object('program_name', v_data ->> 'program_name',
      'certificate_id', p_certificate_id, 'verification_code', v_data ->> 'verification_code',
      'partners', (select pg_catalog.jsonb_agg(s ->> 'partner') from pg_catalog.jsonb_array_elements(v_data -> 'steps') s
                   where s ->> 'status' = 'completed')),
    'email:program_completed:' || (v_data ->> 'enrollment_id'));
  perform queue.archive('certificate', p_msg_id);
end
$$;
comment on function public.store_certificate_pdf(bigint, uuid, bytea) is 'Worker: stores a certificate PDF, queues the completion email, completes the job. PS021: unknown certificate or not a PDF.';
revoke all on function public.store_certificate_pdf(bigint, uuid, bytea) from public, anon, authenticated;
grant execute on function public.store_certificate_pdf(bigint, uuid, bytea) to service_role;
