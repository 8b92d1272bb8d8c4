-- Every list of the admin pages, filtered, sorted and paginated here (not in the page after a
-- cap), so a count and the rows beside it always come from the same query:
--   stuck     steps in progress longer than private.settings.stuck_after_days
--   late      steps in progress past their due date (private.step_due_at)
--   failed    failed steps (dead-lettered partner enrollments, admin failures)
--   awaiting  steps waiting for someone to enroll the student at a manual partner
--   steps     every step (status filter: pending, in_progress, completed, failed, skipped)
--   events    every partner event with its outcome (status filter: a partner_events status, or
--             'review' = unmatched, deferred or rejected); search: student email, partner slug,
--             event id, webhook id or partner enrollment id
--   jobs      the queues' jobs (status filter: queued, in_flight, failed, dead, done)
--   students  students, with their enrollments (search: email or name)
-- p_program and p_partner are slugs, p_q a search text, p_sort a column name (descending with a
-- leading '-'), p_page from 1, p_page_size 1..1000 (default private.settings.dashboard_list_rows).
-- Returns {list, columns, rows, total, page, page_size, pages, sort}: `columns` are the columns
-- to show or export, in order (rows carry ids besides). PS080 on an unknown list, sort, status,
-- program, partner or page; 42501 unless the caller is an admin.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_list (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_list(
  p_list text, p_program text default null, p_partner text default null, p_status text default null,
  p_q text default null, p_sort text default null, p_page integer default 1, p_page_size integer default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
declare
  v_size integer;
  v_page integer := coalesce(p_page, 1);
  v_program uuid;
  v_partner uuid;
  v_q text := nullif(pg_catalog.btrim(p_q), '');
  v_like text;
  v_stuck integer := private.stuck_after_days();
  v_now timestamptz := pg_catalog.now();
  v_columns text[];
  v_statuses text[];
  v_default_sort text;
  v_sort text;
  v_key text;
  v_all jsonb;
  v_rows jsonb;
  v_total integer;
begin
  perform private.admin_caller();
  v_size := coalesce(p_page_size, (select s.dashboard_list_rows from private.settings s), 50);
  if v_size not between 1 and 1000 then
    raise exception 'page size must be between 1 and 1000' using errcode = 'PS080';
  end if;
  if v_page not between 1 and 1000000 then
    raise exception 'page must be a number from 1' using errcode = 'PS080';
  end if;
  if v_q is not null and pg_catalog.length(v_q) > 200 then
    raise exception 'the search text is over 200 characters' using errcode = 'PS080';
  end if;
  v_like := '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(v_q, '\', '\\'), '%', '\%'), '_', '\_') || '%';
  if nullif(p_program, '') is not null then
    select g.id into v_program from public.programs g where g.slug = p_program;
    if not found then
      raise exception 'no program %', pg_catalog.left(p_program, 80) using errcode = 'PS080';
    end if;
  end if;
  if nullif(p_partner, '') is not null then
    select v.id into v_partner from public.partner_lms_providers v where v.slug = p_partner;
    if not found then
      raise exception 'no partner %', pg_catalog.left(p_partner, 80) using errcode = 'PS080';
    end if;
  end if;
  p_status := nullif(p_status, '');

  case p_list
  when 'stuck', 'late', 'failed', 'awaiting', 'steps' then
    v_columns := case p_list
      when 'failed' then array['student_name', 'email', 'program_name', 'provider_name', 'error_message',
                               'failed_at', 'external_enrollment_id']
      when 'awaiting' then array['student_name', 'email', 'program_name', 'provider_name', 'started_at', 'due_at']
      when 'steps' then array['student_name', 'email', 'program_name', 'sequence_order', 'provider_name', 'status',
                              'started_at', 'due_at', 'completed_at', 'late', 'external_enrollment_id']
      else array['student_name', 'email', 'program_name', 'provider_name', 'started_at', 'days_in_step',
                 'due_at', 'days_late', 'progress_percent'] end;
    v_statuses := array['pending', 'in_progress', 'completed', 'failed', 'skipped'];
    v_default_sort := case p_list when 'failed' then '-failed_at' when 'steps' then 'student_name' else 'started_at' end;
    if p_status is not null and (p_list <> 'steps' or not p_status = any (v_statuses)) then
      raise exception 'unknown status % for the % list', pg_catalog.left(p_status, 40), p_list using errcode = 'PS080';
    end if;
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'step_id', s.id, 'enrollment_id', e.id, 'user_id', p.id,
             'student_name', coalesce(nullif(p.full_name, ''), p.email), 'email', p.email,
             'program_slug', g.slug, 'program_name', g.name, 'provider_slug', v.slug, 'provider_name', v.provider_name,
             'sequence_order', s.sequence_order, 'status', s.status, 'started_at', s.started_at,
             'completed_at', s.completed_at, 'failed_at', case when s.status = 'failed' then s.updated_at end,
             'error_message', s.error_message, 'external_enrollment_id', s.external_enrollment_id,
             'progress_percent', s.progress_percent,
             'days_in_step', case when s.status = 'in_progress'
                                  then pg_catalog.floor(extract(epoch from v_now - s.started_at) / 86400)::integer end,
             'due_at', case when s.status in ('in_progress', 'failed') then d.due_at end,
             'late', s.status = 'in_progress' and d.due_at < v_now,
             'days_late', case when s.status = 'in_progress' and d.due_at < v_now
                               then pg_catalog.floor(extract(epoch from v_now - d.due_at) / 86400)::integer end)), '[]')
      into v_all
    from public.enrollment_steps s
    join public.enrollments e on e.id = s.enrollment_id
    join public.profiles p on p.id = e.user_id
    join public.programs g on g.id = e.program_id
    join public.partner_lms_providers v on v.id = s.provider_id
    left join public.program_partner_lms m on m.program_id = e.program_id and m.sequence_order = s.sequence_order
    cross join lateral (select private.step_due_at(s.started_at, m.expected_days, v.expected_days) as due_at) d
    where (v_program is null or e.program_id = v_program)
      and (v_partner is null or s.provider_id = v_partner)
      and (v_q is null or p.email ilike v_like or p.full_name ilike v_like)
      and (p_list in ('steps') or e.status = 'active')
      and case p_list
            when 'stuck' then s.status = 'in_progress'
                              and s.started_at < v_now - pg_catalog.make_interval(days => v_stuck)
            when 'late' then s.status = 'in_progress' and d.due_at < v_now
            when 'failed' then s.status = 'failed'
            when 'awaiting' then private.step_awaits_manual_enrollment(s.status, v.adapter, s.external_enrollment_id)
            else e.status <> 'cancelled' and (p_status is null or s.status = p_status)
          end;

  when 'events' then
    v_columns := array['event_id', 'received_at', 'provider_name', 'event_type', 'student_email',
                       'external_enrollment_id', 'outcome', 'error', 'attempts', 'processed_at', 'webhook_id'];
    v_statuses := array['received', 'processed', 'ignored', 'deferred', 'unmatched', 'rejected', 'review'];
    v_default_sort := '-event_id';
    if p_status is not null and not p_status = any (v_statuses) then
      raise exception 'unknown event status %', pg_catalog.left(p_status, 40) using errcode = 'PS080';
    end if;
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'event_id', x.id, 'webhook_id', x.webhook_id, 'received_at', x.received_at,
             'processed_at', x.processed_at, 'provider_slug', v.slug, 'provider_name', v.provider_name,
             'event_type', x.event_type, 'status', x.status, 'error', x.error, 'attempts', x.attempts,
             'external_enrollment_id', x.external_enrollment_id, 'step_id', x.step_id,
             'user_id', p.id, 'student_email', p.email, 'student_name', coalesce(nullif(p.full_name, ''), p.email),
             'outcome', case x.status
                          when 'processed' then case when x.error is null then 'applied' else 'applied: ' || x.error end
                          when 'ignored' then 'ignored: ' || coalesce(x.error, 'duplicate or unknown type')
                          when 'unmatched' then 'waiting for link'
                          when 'deferred' then 'waiting for the step to restart'
                          when 'rejected' then 'rejected: ' || coalesce(x.error, 'no reason recorded')
                          else 'received, not applied yet' end,
             'replayable', x.status <> 'processed')), '[]')
      into v_all
    from public.partner_events x
    join public.partner_lms_providers v on v.id = x.provider_id
    left join public.enrollment_steps s on s.id = coalesce(x.step_id,
      (select o.id from public.enrollment_steps o
       where o.provider_id = x.provider_id and o.external_enrollment_id = x.external_enrollment_id))
    left join public.enrollments e on e.id = s.enrollment_id
    left join public.profiles p on p.id = e.user_id
    where (v_partner is null or x.provider_id = v_partner)
      and (v_program is null or e.program_id = v_program)
      and (p_status is null or x.status = p_status
           or (p_status = 'review' and x.status = any (private.waiting_event_statuses())))
      and (v_q is null or p.email ilike v_like or v.slug = pg_catalog.lower(v_q) or x.webhook_id = v_q
           or x.external_enrollment_id = v_q or (v_q ~ '^#?[0-9]{1,18}$' and x.id = pg_catalog.ltrim(v_q, '#')::bigint));

  when 'jobs' then
    v_columns := array['msg_id', 'queue_name', 'state', 'task', 'student_email', 'attempts', 'enqueued_at',
                       'next_attempt_at', 'finished_at', 'last_error'];
    v_statuses := array['queued', 'in_flight', 'failed', 'dead', 'done'];
    v_default_sort := '-msg_id';
    if p_status is not null and not p_status = any (v_statuses) then
      raise exception 'unknown job state %', pg_catalog.left(p_status, 40) using errcode = 'PS080';
    end if;
    select coalesce(pg_catalog.jsonb_agg(j.row_json), '[]') into v_all
    from (
      select pg_catalog.jsonb_build_object(
               'msg_id', q.msg_id, 'queue_name', q.queue_name, 'state', q.state, 'attempts', q.read_ct,
               'task', coalesce(q.message ->> 'template', q.message ->> 'partner_slug', q.message ->> 'certificate_id'),
               'user_id', p.id, 'student_email', p.email, 'enqueued_at', q.enqueued_at,
               'next_attempt_at', case when q.state in ('queued', 'failed') then q.vt end,
               'finished_at', q.archived_at, 'last_error', q.last_error, 'step_id', q.message ->> 'step_id') as row_json,
             q.state
      from (
        select j.msg_id, j.queue_name, j.message, j.enqueued_at, j.vt, j.read_ct, j.last_error,
               null::timestamptz as archived_at,
               case when j.last_error is not null then 'failed'
                    when j.read_ct > 0 and j.vt > v_now then 'in_flight'
                    else 'queued' end as state
        from queue.jobs j
        union all
        select a.msg_id, a.queue_name, a.message, a.enqueued_at, null, a.read_ct, a.last_error, a.archived_at,
               a.outcome
        from queue.jobs_archive a
      ) q
      -- whom a job is about: its user_id (emails, partner enrollments), else its certificate's student
      left join public.profiles p on p.id = coalesce(
        case when q.message ->> 'user_id' ~ '^[0-9a-f-]{36}$' then (q.message ->> 'user_id')::uuid end,
        (select e.user_id from public.certificates c join public.enrollments e on e.id = c.enrollment_id
         where q.message ->> 'certificate_id' ~ '^[0-9a-f-]{36}$' and c.id = (q.message ->> 'certificate_id')::uuid))
      where (p_status is null or q.state = p_status)
        and (v_q is null or p.email ilike v_like or q.queue_name = v_q
             or (v_q ~ '^#?[0-9]{1,18}$' and q.msg_id = pg_catalog.ltrim(v_q, '#')::bigint))
    ) j;

  when 'students' then
    v_columns := array['student_name', 'email', 'enrollments', 'active', 'completed', 'cancelled', 'joined_at'];
    v_statuses := array['active', 'completed', 'cancelled'];
    v_default_sort := 'student_name';
    if p_status is not null and not p_status = any (v_statuses) then
      raise exception 'unknown enrollment status %', pg_catalog.left(p_status, 40) using errcode = 'PS080';
    end if;
    select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
             'user_id', p.id, 'student_name', coalesce(nullif(p.full_name, ''), p.email), 'email', p.email,
             'joined_at', p.created_at, 'enrollments', c.total, 'active', c.active, 'completed', c.completed,
             'cancelled', c.cancelled)), '[]')
      into v_all
    from public.profiles p
    cross join lateral (
      select count(*)::integer as total,
             count(*) filter (where e.status = 'active')::integer as active,
             count(*) filter (where e.status = 'completed')::integer as completed,
             count(*) filter (where e.status = 'cancelled')::integer as cancelled
      from public.enrollments e
      where e.user_id = p.id and (v_program is null or e.program_id = v_program)
        and (p_status is null or e.status = p_status)
        and (v_partner is null or exists (select 1 from public.enrollment_steps s
                                          where s.enrollment_id = e.id and s.provider_id = v_partner))) c
    where p.role = 'student'
      and (v_q is null or p.email ilike v_like or p.full_name ilike v_like)
      and (c.total > 0 or (v_program is null and v_partner is null and p_status is null));

  else
    raise exception 'no list %', pg_catalog.left(coalesce(p_list, 'null'), 40) using errcode = 'PS080';
  end case;

  v_sort := coalesce(nullif(p_sort, ''), v_default_sort);
  v_key := pg_catalog.ltrim(v_sort, '-');
  if not (v_key = any (v_columns) or v_key in ('event_id', 'msg_id', 'status', 'sequence_order')) then
    raise exception 'cannot sort the % list by %', p_list, pg_catalog.left(v_key, 40) using errcode = 'PS080';
  end if;
  v_total := pg_catalog.jsonb_array_length(v_all);
  -- jsonb orders numbers as numbers and ISO timestamps as text (same zone within one call);
  -- ties broken by the row's position so pages never overlap
  select coalesce(pg_catalog.jsonb_agg(t.x order by t.n), '[]') into v_rows
  from (
    select a.x, pg_catalog.row_number() over (
             order by case when v_sort like '-%' then null else a.x -> v_key end asc nulls last,
                      case when v_sort like '-%' then a.x -> v_key end desc nulls last,
                      a.i) as n
    from pg_catalog.jsonb_array_elements(v_all) with ordinality a(x, i)
    order by 2
    offset (v_page - 1)::bigint * v_size limit v_size
  ) t;
  return pg_catalog.jsonb_build_object(
    'list', p_list, 'columns', pg_catalog.to_jsonb(v_columns), 'rows', v_rows, 'total', v_total,
    'page', v_page, 'page_size', v_size, 'pages', greatest(1, (v_total + v_size - 1) / v_size), 'sort', v_sort,
    'statuses', pg_catalog.to_jsonb(v_statuses), 'stuck_after_days', v_stuck);
end
$$;
comment on function private.admin_list(text, text, text, text, text, text, integer, integer) is 'Body of public.admin_list (security definer, outside the exposed schema): one admin list (stuck, late, failed, awaiting, steps, events, jobs, students) filtered by program, partner, status and search, sorted and paginated in SQL, with its total. PS080 on a bad parameter; admins only (42501).';
revoke all on function private.admin_list(text, text, text, text, text, text, integer, integer) from public, anon, authenticated;
grant execute on function private.admin_list(text, text, text, text, text, text, integer, integer) to authenticated, service_role;
