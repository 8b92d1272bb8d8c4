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
-- Returns {list, columns, rows, total, total_capped, page, page_size, pages, sort}: `columns` are
-- the columns to show or export, in order (rows carry ids besides). The query is built from fixed
-- fragments (sort keys from a whitelist, values as parameters) so that PostgreSQL sorts and cuts
-- the page with its indexes; the total stops counting at 1,000 or five pages past the page asked
-- for (total_capped: "1000+"), so a list costs about the same at a million enrollments. PS080 on an unknown list, sort, status, program,
-- partner or page; 42501 unless the caller is an admin.
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
-- a list reads a page and a count capped at 1,001 rows: launching parallel workers cost 16 ms of
-- the awaiting list's 22 ms (200k enrollments), more than any scan they would share
set max_parallel_workers_per_gather = 0
as $$
declare
  v_cap integer;
  v_size integer;
  v_page integer := coalesce(p_page, 1);
  v_program uuid;
  v_partner uuid;
  v_q text := nullif(pg_catalog.btrim(p_q), '');
  v_like text;
  v_id bigint;
  v_stuck integer := private.stuck_after_days();
  v_now timestamptz := pg_catalog.now();
  v_min_days integer;
  v_manual uuid[];
  v_columns text[];
  v_statuses text[];
  v_sorts jsonb;            -- sort key -> SQL expression (fixed text, never from the caller)
  v_default_sort text;
  v_sort text;
  v_key text;
  v_from text;
  v_where text;
  v_row text;
  v_order text;
  v_dir text;
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
  if v_q ~ '^#?[0-9]{1,18}$' then
    v_id := pg_catalog.ltrim(v_q, '#')::bigint;
  end if;
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

  -- In the fragments: $1 program id, $2 partner id, $3 search text, $4 its LIKE pattern, $5 status,
  -- $6 stuck days, $7 now, $8 the event or job id searched for, $9 the fewest expected days of any
  -- step, $10 the partners whose started steps wait for a manual enrollment (an indexable filter)
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
    v_sorts := pg_catalog.jsonb_build_object(
      'student_name', 'coalesce(nullif(p.full_name, ''''), p.email)', 'email', 'p.email', 'program_name', 'g.name',
      'provider_name', 'v.provider_name', 'sequence_order', 's.sequence_order', 'status', 's.status',
      'started_at', 's.started_at', 'completed_at', 's.completed_at', 'failed_at', 's.updated_at',
      'due_at', 'private.step_due_at(s.started_at, m.expected_days, v.expected_days)',
      'days_in_step', 's.started_at', 'days_late', 'private.step_due_at(s.started_at, m.expected_days, v.expected_days)',
      'late', 'private.step_due_at(s.started_at, m.expected_days, v.expected_days)',
      'progress_percent', 's.progress_percent', 'error_message', 's.error_message',
      'external_enrollment_id', 's.external_enrollment_id');
    select pg_catalog.array_agg(v.id) into v_manual from public.partner_lms_providers v
    where private.step_awaits_manual_enrollment('in_progress', v.adapter, null);
    select least(coalesce(min(v.expected_days), 1), coalesce((select min(m.expected_days) from public.program_partner_lms m), 3650))
      into v_min_days from public.partner_lms_providers v;
    -- left joins on keys the foreign keys guarantee: the same rows, and a count that does not
    -- read them can skip them (PostgreSQL removes an unused left join on a unique key)
    v_from := ' from public.enrollment_steps s
      join public.enrollments e on e.id = s.enrollment_id
      left join public.profiles p on p.id = e.user_id
      left join public.programs g on g.id = e.program_id
      left join public.partner_lms_providers v on v.id = s.provider_id
      left join public.program_partner_lms m on m.program_id = e.program_id and m.sequence_order = s.sequence_order ';
    v_where := ' ($1 is null or e.program_id = $1) and ($2 is null or s.provider_id = $2)
      and ($3 is null or p.email ilike $4 or p.full_name ilike $4) and '
      || case p_list
           when 'stuck' then 'e.status = ''active'' and s.status = ''in_progress''
                              and s.started_at < $7 - pg_catalog.make_interval(days => $6)'
           when 'late' then 'e.status = ''active'' and s.status = ''in_progress''
                             and s.started_at < $7 - pg_catalog.make_interval(days => $9)
                             and private.step_due_at(s.started_at, m.expected_days, v.expected_days) < $7'
           when 'failed' then 'e.status = ''active'' and s.status = ''failed'''
           when 'awaiting' then 'e.status = ''active'' and s.status = ''in_progress'' and s.external_enrollment_id is null
                                 and s.provider_id = any ($10)
                                 and private.step_awaits_manual_enrollment(s.status, v.adapter, s.external_enrollment_id)'
           else 'e.status <> ''cancelled'' and ($5 is null or s.status = $5)' end;
    v_row := 'pg_catalog.jsonb_build_object(
             ''step_id'', s.id, ''enrollment_id'', e.id, ''user_id'', p.id,
             ''student_name'', coalesce(nullif(p.full_name, ''''), p.email), ''email'', p.email,
             ''program_slug'', g.slug, ''program_name'', g.name, ''provider_slug'', v.slug, ''provider_name'', v.provider_name,
             ''sequence_order'', s.sequence_order, ''status'', s.status, ''started_at'', s.started_at,
             ''completed_at'', s.completed_at, ''failed_at'', case when s.status = ''failed'' then s.updated_at end,
             ''error_message'', s.error_message, ''external_enrollment_id'', s.external_enrollment_id,
             ''progress_percent'', s.progress_percent,
             ''days_in_step'', case when s.status = ''in_progress''
                                  then pg_catalog.floor(extract(epoch from $7 - s.started_at) / 86400)::integer end)
           || (select pg_catalog.jsonb_build_object(
               ''due_at'', case when s.status in (''in_progress'', ''failed'') then d end,
               ''late'', s.status = ''in_progress'' and d < $7,
               ''days_late'', case when s.status = ''in_progress'' and d < $7
                                 then pg_catalog.floor(extract(epoch from $7 - d) / 86400)::integer end)
               from (select private.step_due_at(s.started_at, m.expected_days, v.expected_days) as d) x)';

  when 'events' then
    v_columns := array['event_id', 'received_at', 'provider_name', 'event_type', 'student_email',
                       'external_enrollment_id', 'outcome', 'error', 'attempts', 'processed_at', 'webhook_id'];
    v_statuses := array['received', 'processed', 'ignored', 'deferred', 'unmatched', 'rejected', 'review'];
    v_default_sort := '-event_id';
    if p_status is not null and not p_status = any (v_statuses) then
      raise exception 'unknown event status %', pg_catalog.left(p_status, 40) using errcode = 'PS080';
    end if;
    v_sorts := pg_catalog.jsonb_build_object(
      'event_id', 'x.id', 'received_at', 'x.received_at', 'processed_at', 'x.processed_at',
      'provider_name', 'v.provider_name', 'event_type', 'x.event_type', 'student_email', 'p.email',
      'external_enrollment_id', 'x.external_enrollment_id', 'outcome', 'x.status', 'status', 'x.status',
      'error', 'x.error', 'attempts', 'x.attempts', 'webhook_id', 'x.webhook_id');
    v_from := ' from public.partner_events x
      join public.partner_lms_providers v on v.id = x.provider_id
      left join public.enrollment_steps s on s.id = coalesce(x.step_id,
        (select o.id from public.enrollment_steps o
         where o.provider_id = x.provider_id and o.external_enrollment_id = x.external_enrollment_id))
      left join public.enrollments e on e.id = s.enrollment_id
      left join public.profiles p on p.id = e.user_id ';
    v_where := ' ($2 is null or x.provider_id = $2) and ($1 is null or e.program_id = $1)
      and ($5 is null or x.status = $5
           or ($5 = ''review'' and x.status = any (private.waiting_event_statuses())))
      and ($3 is null or p.email ilike $4 or v.slug = pg_catalog.lower($3) or x.webhook_id = $3
           or x.external_enrollment_id = $3 or x.id = $8)';
    v_row := 'pg_catalog.jsonb_build_object(
             ''event_id'', x.id, ''webhook_id'', x.webhook_id, ''received_at'', x.received_at,
             ''processed_at'', x.processed_at, ''provider_slug'', v.slug, ''provider_name'', v.provider_name,
             ''event_type'', x.event_type, ''status'', x.status, ''error'', x.error, ''attempts'', x.attempts,
             ''external_enrollment_id'', x.external_enrollment_id, ''step_id'', s.id,
             ''user_id'', p.id, ''student_email'', p.email, ''student_name'', coalesce(nullif(p.full_name, ''''), p.email),
             ''outcome'', case x.status
                          when ''processed'' then case when x.error is null then ''applied'' else ''applied: '' || x.error end
                          when ''ignored'' then ''ignored: '' || coalesce(x.error, ''duplicate or unknown type'')
                          when ''unmatched'' then ''waiting for link''
                          when ''deferred'' then ''waiting for the step to restart''
                          when ''rejected'' then ''rejected: '' || coalesce(x.error, ''no reason recorded'')
                          else ''received, not applied yet'' end,
             ''replayable'', x.status <> ''processed'')';

  when 'jobs' then
    v_columns := array['msg_id', 'queue_name', 'state', 'task', 'student_email', 'attempts', 'enqueued_at',
                       'next_attempt_at', 'finished_at', 'last_error'];
    v_statuses := array['queued', 'in_flight', 'failed', 'dead', 'done'];
    v_default_sort := '-msg_id';
    if p_status is not null and not p_status = any (v_statuses) then
      raise exception 'unknown job state %', pg_catalog.left(p_status, 40) using errcode = 'PS080';
    end if;
    v_sorts := pg_catalog.jsonb_build_object(
      'msg_id', 'q.msg_id', 'queue_name', 'q.queue_name', 'state', 'q.state', 'task', 'q.task',
      'student_email', 'p.email', 'attempts', 'q.read_ct', 'enqueued_at', 'q.enqueued_at',
      'next_attempt_at', 'q.vt', 'finished_at', 'q.archived_at', 'last_error', 'q.last_error');
    v_from := ' from (
        select j.msg_id, j.queue_name, j.message, j.enqueued_at, j.vt, j.read_ct, j.last_error,
               null::timestamptz as archived_at,
               case when j.last_error is not null then ''failed''
                    when j.read_ct > 0 and j.vt > $7 then ''in_flight''
                    else ''queued'' end as state,
               coalesce(j.message ->> ''template'', j.message ->> ''partner_slug'', j.message ->> ''certificate_id'') as task
        from queue.jobs j
        union all
        select a.msg_id, a.queue_name, a.message, a.enqueued_at, null, a.read_ct, a.last_error, a.archived_at,
               a.outcome, coalesce(a.message ->> ''template'', a.message ->> ''partner_slug'', a.message ->> ''certificate_id'')
        from queue.jobs_archive a
      ) q
      -- whom a job is about: its user_id (emails, partner enrollments), else its certificate''s student
      left join public.profiles p on p.id = coalesce(
        case when q.message ->> ''user_id'' ~ ''^[0-9a-f-]{36}$'' then (q.message ->> ''user_id'')::uuid end,
        (select e.user_id from public.certificates c join public.enrollments e on e.id = c.enrollment_id
         where q.message ->> ''certificate_id'' ~ ''^[0-9a-f-]{36}$'' and c.id = (q.message ->> ''certificate_id'')::uuid)) ';
    v_where := ' ($5 is null or q.state = $5)
      and ($3 is null or p.email ilike $4 or q.queue_name = $3 or q.msg_id = $8)';
    v_row := 'pg_catalog.jsonb_build_object(
               ''msg_id'', q.msg_id, ''queue_name'', q.queue_name, ''state'', q.state, ''attempts'', q.read_ct,
               ''task'', q.task, ''user_id'', p.id, ''student_email'', p.email, ''enqueued_at'', q.enqueued_at,
               ''next_attempt_at'', case when q.state in (''queued'', ''failed'') then q.vt end,
               ''finished_at'', q.archived_at, ''last_error'', q.last_error, ''step_id'', q.message ->> ''step_id'')';

  when 'students' then
    v_columns := array['student_name', 'email', 'enrollments', 'active', 'completed', 'cancelled', 'joined_at'];
    v_statuses := array['active', 'completed', 'cancelled'];
    v_default_sort := 'student_name';
    if p_status is not null and not p_status = any (v_statuses) then
      raise exception 'unknown enrollment status %', pg_catalog.left(p_status, 40) using errcode = 'PS080';
    end if;
    v_sorts := pg_catalog.jsonb_build_object(
      'student_name', 'coalesce(nullif(p.full_name, ''''), p.email)', 'email', 'p.email', 'joined_at', 'p.created_at',
      'enrollments', 'c.total', 'active', 'c.active', 'completed', 'c.completed', 'cancelled', 'c.cancelled');
    v_from := ' from public.profiles p
      cross join lateral (
        select count(*)::integer as total,
               count(*) filter (where e.status = ''active'')::integer as active,
               count(*) filter (where e.status = ''completed'')::integer as completed,
               count(*) filter (where e.status = ''cancelled'')::integer as cancelled
        from public.enrollments e
        where e.user_id = p.id and ($1 is null or e.program_id = $1)
          and ($5 is null or e.status = $5)
          and ($2 is null or exists (select 1 from public.enrollment_steps s
                                     where s.enrollment_id = e.id and s.provider_id = $2))) c ';
    v_where := ' p.role = ''student''
      and ($3 is null or p.email ilike $4 or p.full_name ilike $4)
      and (c.total > 0 or ($1 is null and $2 is null and $5 is null))';
    v_row := 'pg_catalog.jsonb_build_object(
             ''user_id'', p.id, ''student_name'', coalesce(nullif(p.full_name, ''''), p.email), ''email'', p.email,
             ''joined_at'', p.created_at, ''enrollments'', c.total, ''active'', c.active, ''completed'', c.completed,
             ''cancelled'', c.cancelled)';

  else
    raise exception 'no list %', pg_catalog.left(coalesce(p_list, 'null'), 40) using errcode = 'PS080';
  end case;

  v_sort := coalesce(nullif(p_sort, ''), v_default_sort);
  v_key := pg_catalog.ltrim(v_sort, '-');
  v_dir := case when v_sort like '-%' then ' desc' else ' asc' end;
  if not (v_sorts ? v_key) then
    raise exception 'cannot sort the % list by %', p_list, pg_catalog.left(v_key, 40) using errcode = 'PS080';
  end if;

  -- the total, counted up to the cap (1,000, or five pages past the one asked for); then the
  -- page, sorted (ties by the row's own key) and cut here
  v_cap := greatest(1000, (v_page + 5) * v_size);
  execute 'select count(*)::integer from (select 1 ' || v_from || ' where ' || v_where || ' limit ' || (v_cap + 1) || ') n'
    into v_total
    using v_program, v_partner, v_q, v_like, p_status, v_stuck, v_now, v_id, v_min_days, v_manual;
  v_order := (v_sorts ->> v_key) || v_dir || ', '
             || case p_list when 'events' then 'x.id' when 'jobs' then 'q.msg_id' when 'students' then 'p.id' else 's.id' end
             || v_dir;
  execute 'select coalesce(pg_catalog.jsonb_agg(t.r order by t.n), ''[]'') from (select ' || v_row
          || ' as r, pg_catalog.row_number() over (order by ' || v_order || ') as n ' || v_from || ' where ' || v_where
          || ' order by ' || v_order || ' offset $11 limit $12) t'
    into v_rows
    using v_program, v_partner, v_q, v_like, p_status, v_stuck, v_now, v_id, v_min_days, v_manual,
          (v_page - 1)::bigint * v_size, v_size;
  return pg_catalog.jsonb_build_object(
    'list', p_list, 'columns', pg_catalog.to_jsonb(v_columns), 'rows', v_rows,
    'total', least(v_total, v_cap), 'total_capped', v_total > v_cap,
    'page', v_page, 'page_size', v_size, 'pages', greatest(1, (least(v_total, v_cap) + v_size - 1) / v_size),
    'sort', v_sort, 'statuses', pg_catalog.to_jsonb(v_statuses), 'stuck_after_days', v_stuck);
end
$$;
comment on function private.admin_list(text, text, text, text, text, text, integer, integer) is 'Body of public.admin_list (security definer, outside the exposed schema): one admin list (stuck, late, failed, awaiting, steps, events, jobs, students) filtered by program, partner, status and search, sorted and paginated in SQL, with its total. PS080 on a bad parameter; admins only (42501).';
revoke all on function private.admin_list(text, text, text, text, text, text, integer, integer) from public, anon, authenticated;
grant execute on function private.admin_list(text, text, text, text, text, text, integer, integer) to authenticated, service_role;
