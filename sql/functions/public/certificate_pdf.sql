-- The signed-in user's certificate PDF, for the download link: {"id", "pdf"} with the PDF as
-- base64 text (JSON carries it the same over a direct connection and over the Data API), pdf
-- null while it is being prepared; null when there is no such certificate for this user.
-- Security invoker: row level security returns nothing for someone else's certificate.
create or replace function public.certificate_pdf(p_certificate_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('id', c.id, 'pdf', pg_catalog.encode(c.pdf, 'base64'))
  from public.certificates c
  where c.id = p_certificate_id
$$;
comment on function public.certificate_pdf(uuid) is 'A certificate''s PDF as base64 ({"id", "pdf"}; pdf null while being prepared), or null when the caller may not see it (RLS).';
revoke all on function public.certificate_pdf(uuid) from public, anon, authenticated;
grant execute on function public.certificate_pdf(uuid) to authenticated, service_role;
