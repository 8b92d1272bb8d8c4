-- What happened to one of the caller's own steps, from the audit trail (step_transitions), oldest
-- first, as the student may see it: when, from which status to which, and whether our staff did
-- it (`by`: staff | system). Never the recorded reason or the actor's id (a reason may carry a
-- partner's raw error or an admin's note). Security definer because students cannot read the
-- audit trail itself (its policy is admins-only); it answers only about steps of enrollments the
-- caller owns (auth.uid()), so another student's step id gives an empty list.
create or replace function private.student_step_history(p_step_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'at', t.created_at,
           'from', t.from_status,
           'to', t.to_status,
           'by', case when t.actor_role = 'admin' then 'staff' else 'system' end)
         order by t.created_at, t.id), '[]'::jsonb)
  from public.step_transitions t
  join public.enrollments e on e.id = t.enrollment_id
  where t.step_id = p_step_id
    and e.user_id = (select auth.uid())
$$;
comment on function private.student_step_history(uuid) is 'The caller''s own step''s history from the audit trail (at, from, to, by staff|system), oldest first; empty for anyone else''s step. Never the reason or the actor id.';
revoke all on function private.student_step_history(uuid) from public, anon, authenticated;
grant execute on function private.student_step_history(uuid) to authenticated, service_role;
