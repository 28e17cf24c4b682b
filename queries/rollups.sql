-- Rollup refresh, run by warehouse.refresh_rollups inside the upload's (or undo's) transaction.
-- Per-person rows are read only here; pages, the rubric and the CLI read month_status, org_rollup,
-- department_kpis, kpi_correlations, segment_moves and cohort_rollup.
--
-- A refresh recomputes only the months an upload affects. It compares the live upload slices with those the
-- rollups were last computed from (rollup_sources), and rebuilds person_month for the months that read a
-- changed slice: a roster counts for its month and the months it carries forward to, activity and device usage
-- for their own month; plus the months that appear or disappear, and the month after each rebuilt month when it
-- has activity (returning and lapsed look one month back). A champion register (for its month and the months it
-- carries forward to) and training (for its month and the 11 after it) change only two flags of a person-month:
-- those months are not rebuilt; the people whose flags change are updated, and their months' champion and
-- training counts counted again.
-- `new` looks at every earlier month: each person's first active month is kept in first_active, and only the
-- months where someone's first active month moves are touched outside the rebuilt months.
-- The department KPI rows and their rank correlations are recomputed for the rebuilt months and the months whose
-- KPIs changed. $first_month and $last_month bound the rebuilt months, so that scans skip other months' row groups.

-- name: changes
-- The (kind, tool, month) slices whose live upload changed since the last refresh: uploaded, replaced, undone.
CREATE OR REPLACE TEMP TABLE rollup_changes AS
WITH live AS (SELECT upload_id, kind, tool, month FROM live_slices WHERE kind NOT IN ('checklist', 'initiatives', 'targets')),
differ AS (
    (SELECT * FROM live EXCEPT SELECT upload_id, kind, tool, month FROM rollup_sources)
    UNION ALL
    (SELECT upload_id, kind, tool, month FROM rollup_sources EXCEPT SELECT * FROM live)
)
SELECT DISTINCT kind, tool, month FROM differ;

-- name: status
-- Which data each month has and where carried-forward data comes from, for every month held (a few dozen rows),
-- with the KPI and community figures the headline metrics read. The unmapped counts and the tools with
-- contribution data are kept from before; months that are rebuilt get them afresh.
CREATE OR REPLACE TEMP TABLE month_status_new AS
WITH slices AS (
    -- checklist answers, address changes and renames say nothing about which months hold data
    SELECT DISTINCT kind, tool, month FROM live_slices WHERE kind NOT IN ('checklist', 'identity_changes', 'departments', 'initiatives', 'targets')
),
bounds AS (SELECT min(month) AS first_month, max(month) AS last_month FROM slices),
held AS (
    -- which kinds each month holds: one pass over the slices (the roster and the champion register carry forward)
    SELECT month, bool_or(kind = 'roster') AS roster, bool_or(kind = 'champions') AS champions,
        bool_or(kind = 'activity') AS activity,
        list(DISTINCT tool ORDER BY tool) FILTER (WHERE kind = 'activity') AS tools,
        bool_or(kind = 'communities') AS communities, bool_or(kind = 'kpis') AS kpis,
        bool_or(kind = 'training') AS training, bool_or(kind = 'devices') AS devices
    FROM slices GROUP BY month
),
months AS (
    SELECT CAST(unnest(generate_series(CAST(first_month AS TIMESTAMP), CAST(last_month AS TIMESTAMP),
                                       INTERVAL 1 MONTH)) AS DATE) AS month
    FROM bounds WHERE last_month IS NOT NULL
),
kpi_status AS (
    -- a KPI's status is judged on its whole-organisation row (empty department), direction-aware
    SELECT month, avg((CASE WHEN higher_is_better THEN value >= target ELSE value <= target END)::INT) AS share
    FROM live_kpis
    WHERE department IS NULL AND target IS NOT NULL AND value IS NOT NULL
    GROUP BY month
),
communities AS (
    SELECT month, map_from_entries(list(struct_pack(k := tool, v := active) ORDER BY tool)) AS active_communities
    FROM (
        SELECT month, coalesce(tool, '*') AS tool, count(*) FILTER (WHERE posts > 0) AS active
        FROM live_communities GROUP BY GROUPING SETS ((month, tool), (month))
    )
    GROUP BY month
)
SELECT m.month,
    max(CASE WHEN h.roster THEN m.month END) OVER since_first AS roster_month,
    max(CASE WHEN h.champions THEN m.month END) OVER since_first AS champions_month,
    coalesce(h.activity, false) AS has_activity,
    coalesce(h.tools, []) AS tools,
    coalesce(h.communities, false) AS has_communities,
    coalesce(h.kpis, false) AS has_kpis,
    -- training counts for its month and the 11 after it (the months are consecutive: one row each)
    coalesce(bool_or(h.training) OVER (ORDER BY m.month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW), false)
        AS has_training,
    o.activity_people, o.unmapped_people, o.concealed_people,
    coalesce(h.devices, false) AS has_devices,
    k.share AS kpis_on_target_share,
    c.active_communities,
    o.contribution_tools
FROM months m
LEFT JOIN held h ON h.month = m.month
LEFT JOIN month_status o ON o.month = m.month
LEFT JOIN kpi_status k ON k.month = m.month
LEFT JOIN communities c ON c.month = m.month
WINDOW since_first AS (ORDER BY m.month ROWS UNBOUNDED PRECEDING);

-- name: months
-- The months whose person_month rows are rebuilt. $full rebuilds every month (after a migration). A change of the
-- champion register or of training alone is not among them: it changes two flags (flag_months).
CREATE OR REPLACE TEMP TABLE rollup_months AS
WITH changed AS (
    -- months that appear or disappear, or take their roster, activity or devices from elsewhere
    SELECT coalesce(n.month, o.month) AS month
    FROM month_status_new n FULL JOIN month_status o ON o.month = n.month
    WHERE $full OR n.month IS NULL OR o.month IS NULL
       OR n.roster_month IS DISTINCT FROM o.roster_month
       OR n.has_activity IS DISTINCT FROM o.has_activity OR n.has_devices IS DISTINCT FROM o.has_devices
    UNION
    -- months reading a changed slice
    SELECT n.month FROM month_status_new n JOIN rollup_changes c ON
        (c.kind = 'roster' AND n.roster_month = c.month) OR (c.kind IN ('activity', 'devices') AND n.month = c.month)
)
SELECT month FROM changed
UNION
-- the month after each, when it has activity: its returning and lapsed people compare with the month before
SELECT n.month FROM month_status_new n JOIN changed c ON n.month = CAST(c.month + INTERVAL 1 MONTH AS DATE)
WHERE n.has_activity;

-- name: flag_months
-- Months not rebuilt whose champion flags or training flags may change: they take their champion register from
-- elsewhere, or read a changed register or a changed training month (the 12 months from it). Only the people
-- whose flags change are written (update_flags), and the champion and training counts of their month counted again.
CREATE OR REPLACE TEMP TABLE rollup_flag_months AS
SELECT n.month
FROM month_status_new n LEFT JOIN month_status o ON o.month = n.month
WHERE n.month NOT IN (SELECT month FROM rollup_months)
  AND (n.champions_month IS DISTINCT FROM o.champions_month
       OR EXISTS (SELECT 1 FROM rollup_changes c
                  WHERE (c.kind = 'champions' AND n.champions_month = c.month)
                     OR (c.kind = 'training'
                         AND n.month BETWEEN c.month AND CAST(c.month + INTERVAL 11 MONTH AS DATE))));

-- name: tool_months
-- The per-tool rows to count again in each rebuilt month: they read the month's roster people and their activity
-- on that tool alone. Every tool (tool NULL) where the month appears, takes its roster from elsewhere or reads a
-- changed roster, or disappears (or after a migration); otherwise only the tools whose activity changed. The month after a
-- changed month, rebuilt for its returning and lapsed people, keeps its per-tool rows.
CREATE OR REPLACE TEMP TABLE rollup_tool_months AS
SELECT r.month, CAST(NULL AS VARCHAR) AS tool
FROM rollup_months r
LEFT JOIN month_status_new n ON n.month = r.month
LEFT JOIN month_status o ON o.month = r.month
WHERE $full OR n.month IS NULL OR o.month IS NULL OR n.roster_month IS DISTINCT FROM o.roster_month
   OR n.roster_month IN (SELECT month FROM rollup_changes WHERE kind = 'roster')
UNION ALL
SELECT DISTINCT c.month, c.tool FROM rollup_changes c
WHERE c.kind = 'activity' AND c.month IN (SELECT month FROM rollup_months);

-- name: replace_month_status
DELETE FROM month_status;

-- name: insert_month_status
INSERT INTO month_status
SELECT n.month, n.roster_month, n.champions_month, n.has_activity, n.tools, n.has_communities, n.has_kpis,
    n.has_training,
    CASE WHEN r.month IS NULL THEN n.activity_people END,
    CASE WHEN r.month IS NULL THEN n.unmapped_people END,
    CASE WHEN r.month IS NULL THEN n.concealed_people END,
    n.has_devices, n.kpis_on_target_share, n.active_communities,
    CASE WHEN r.month IS NULL THEN n.contribution_tools END
FROM month_status_new n LEFT JOIN rollup_months r ON r.month = n.month;

-- name: stage_activity
-- The live activity rows of the rebuilt months, read once for the per-person rows, the join coverage and the
-- per-tool rollup: one row per person, tool and month. A live slice holds each address at most once per tool and
-- month (a file repeating one is refused), but a person who changed address in the month may have a row under each
-- (docs/metrics.md#identity): their counts add up. Active: any action or active day on the tool in the month. A row
-- that reports neither posts nor replies (the older Teams export, before March 2022) keeps both NULL: that person's
-- contribution there is unknown, not 0. A row that reports one of them counts the other as 0 (Viva Engage has no
-- replies).
CREATE OR REPLACE TEMP TABLE rollup_activity AS
SELECT month, person_key, tool, bool_or(concealed) AS concealed, sum(posts) AS posts, sum(replies) AS replies,
    sum(reactions) AS reactions, bool_or(active) AS active
FROM (
    SELECT month, person_key, tool, concealed,
        CASE WHEN posts IS NOT NULL OR replies IS NOT NULL THEN coalesce(posts, 0) END AS posts,
        CASE WHEN posts IS NOT NULL OR replies IS NOT NULL THEN coalesce(replies, 0) END AS replies,
        coalesce(reactions, 0) AS reactions,
        coalesce(posts, 0) + coalesce(replies, 0) + coalesce(reactions, 0) + coalesce(reads, 0)
            + coalesce(other_actions, 0) > 0 OR coalesce(active_days, 0) > 0 AS active
    FROM live_activity
    WHERE month BETWEEN $first_month AND $last_month AND month IN (SELECT month FROM rollup_months)
)
GROUP BY month, person_key, tool;

-- name: update_contribution_tools
-- The tools whose activity reports posts or replies in each rebuilt month (docs/metrics.md#contribution-data):
-- contributors and creators are counted only over them, and are no data where there is none.
UPDATE month_status SET contribution_tools = x.tools
FROM (
    SELECT r.month, coalesce(list(DISTINCT a.tool ORDER BY a.tool) FILTER (WHERE a.posts IS NOT NULL), [])
        AS tools
    FROM rollup_months r LEFT JOIN rollup_activity a ON a.month = r.month
    GROUP BY r.month
) x
WHERE month_status.month = x.month;

-- name: stage_person_month
-- One row per roster person per rebuilt month, before the flags that look at other months.
-- Contributor and creator are NULL in a month where no tool reports posts or replies.
CREATE OR REPLACE TEMP TABLE pm_stage AS
WITH ms AS (
    SELECT * FROM month_status
    WHERE month BETWEEN $first_month AND $last_month AND month IN (SELECT month FROM rollup_months)
),
listed AS MATERIALIZED (
    SELECT ms.month, r.person_key, r.raw_key, r.department, r.region, r.business_unit, r.level, ms.has_activity,
        ms.has_devices, len(ms.contribution_tools) > 0 AS has_contribution
    FROM ms JOIN live_roster r ON r.month = ms.roster_month
),
repeated AS (SELECT month, person_key FROM listed GROUP BY ALL HAVING count(*) > 1),
people AS (
    -- a person listed under two addresses in one roster (an address change mid-month) counts once, in the org unit
    -- of their address seen first (docs/metrics.md#identity); only they are ordered, not every roster row
    SELECT * EXCLUDE (raw_key) FROM listed ANTI JOIN repeated USING (month, person_key)
    UNION ALL
    SELECT * EXCLUDE (raw_key) FROM (
        SELECT * FROM listed SEMI JOIN repeated USING (month, person_key)
        QUALIFY row_number() OVER (PARTITION BY month, person_key
                                   ORDER BY raw_key <> person_key, department, region, business_unit, level) = 1
    )
),
mobile AS (
    SELECT month, person_key, bool_or(coalesce(used_mobile, false)) AS used_mobile
    FROM live_devices
    WHERE month BETWEEN $first_month AND $last_month AND month IN (SELECT month FROM rollup_months)
    GROUP BY ALL
),
per_person AS (
    SELECT month, person_key,
        sum(posts) AS posts, sum(replies) AS replies, sum(reactions) AS reactions, bool_or(active) AS active
    FROM rollup_activity
    GROUP BY ALL
),
champs AS (
    SELECT DISTINCT ms.month, c.person_key FROM ms JOIN live_champions c ON c.month = ms.champions_month
),
trained AS (
    SELECT DISTINCT ms.month, t.person_key
    FROM ms JOIN live_training t ON t.month BETWEEN CAST(ms.month - INTERVAL 11 MONTH AS DATE) AND ms.month
)
SELECT p.month, p.person_key, p.department, p.region, p.business_unit, p.level,
    CASE WHEN p.has_activity THEN coalesce(a.active, false) END AS active,
    CASE WHEN p.has_contribution THEN coalesce(a.active AND a.posts + a.replies >= 1, false) END AS contributor,
    CASE WHEN p.has_contribution THEN coalesce(a.active AND a.posts >= 1, false) END AS creator,
    a.posts, a.replies, a.reactions,
    ch.person_key IS NOT NULL AS is_champion,
    tr.person_key IS NOT NULL AS trained_12m,
    CASE WHEN p.has_activity AND p.has_devices
         THEN coalesce(a.active AND mo.used_mobile, false) END AS mobile
FROM people p
LEFT JOIN per_person a ON a.month = p.month AND a.person_key = p.person_key
LEFT JOIN champs ch ON ch.month = p.month AND ch.person_key = p.person_key
LEFT JOIN trained tr ON tr.month = p.month AND tr.person_key = p.person_key
LEFT JOIN mobile mo ON mo.month = p.month AND mo.person_key = p.person_key;

-- name: stage_first_active
-- People whose first active month moves. Outside the rebuilt months nothing changed, so a person's first active
-- month is the earlier of their first kept month (when it is not being rebuilt) and their first rebuilt active
-- month; only someone whose first active month is being rebuilt needs a look at their later kept months.
CREATE OR REPLACE TEMP TABLE first_active_changes AS
WITH rebuilt_first AS (SELECT person_key, min(month) AS first_month FROM pm_stage WHERE active GROUP BY ALL),
kept AS (
    SELECT person_key, first_month, first_month IN (SELECT month FROM rollup_months) AS rebuilt
    FROM first_active
),
later AS (
    SELECT pm.person_key, min(pm.month) AS first_month
    FROM person_month pm
    WHERE pm.active AND pm.month > $first_month AND pm.month NOT IN (SELECT month FROM rollup_months)
      AND pm.person_key IN (SELECT person_key FROM kept WHERE rebuilt)
    GROUP BY ALL
),
combined AS (
    SELECT person_key, min(first_month) AS first_month
    FROM (SELECT * FROM rebuilt_first
          UNION ALL SELECT person_key, first_month FROM kept WHERE NOT rebuilt
          UNION ALL SELECT * FROM later)
    GROUP BY ALL
)
SELECT person_key, k.first_month AS old_first, c.first_month AS new_first
FROM combined c FULL JOIN kept k USING (person_key)
WHERE k.first_month IS DISTINCT FROM c.first_month;

-- name: delete_first_active
DELETE FROM first_active WHERE person_key IN (SELECT person_key FROM first_active_changes);

-- name: insert_first_active
INSERT INTO first_active SELECT person_key, new_first FROM first_active_changes WHERE new_first IS NOT NULL;

-- name: delete_person_month
DELETE FROM person_month
WHERE month BETWEEN $first_month AND $last_month AND month IN (SELECT month FROM rollup_months);

-- name: insert_person_month
INSERT INTO person_month
WITH previous AS (
    SELECT month, person_key, active FROM person_month
    WHERE month BETWEEN CAST($first_month - INTERVAL 1 MONTH AS DATE) AND $last_month
      AND month IN (SELECT CAST(month - INTERVAL 1 MONTH AS DATE) FROM rollup_months)
    UNION ALL
    SELECT month, person_key, active FROM pm_stage
)
SELECT s.month, s.person_key, s.department, s.region, s.business_unit, s.level,
    s.active, s.contributor, s.creator, s.posts, s.replies, s.reactions,
    CASE WHEN s.active IS NOT NULL THEN coalesce(s.active AND f.first_month = s.month, false) END AS is_new,
    CASE WHEN s.active IS NOT NULL THEN coalesce(s.active AND p.active, false) END AS is_returning,
    CASE WHEN s.active IS NOT NULL THEN coalesce(p.active AND NOT s.active, false) END AS is_lapsed,
    s.is_champion, s.trained_12m, s.mobile,
    -- the participation segment (docs/metrics.md#participation): posts, replies and reactions summed over the tools,
    -- a tool that reports none of them counting 0; no segments without contribution data (creator is NULL then)
    CASE WHEN s.creator THEN 'creator'
         WHEN s.creator IS NOT NULL AND s.active AND coalesce(s.replies, 0) + coalesce(s.reactions, 0) >= 1
             THEN 'responder'
         WHEN s.creator IS NOT NULL AND s.active THEN 'observer'
         WHEN s.creator IS NOT NULL THEN 'inactive' END AS segment
FROM pm_stage s
LEFT JOIN first_active f ON f.person_key = s.person_key
LEFT JOIN previous p ON p.person_key = s.person_key AND p.month = CAST(s.month - INTERVAL 1 MONTH AS DATE);

-- name: new_months
-- Kept months where someone's first active month moved from or to: their `new` flag and newcomer count change.
CREATE OR REPLACE TEMP TABLE rollup_new_months AS
SELECT DISTINCT month
FROM (SELECT old_first AS month FROM first_active_changes UNION ALL SELECT new_first FROM first_active_changes)
WHERE month IS NOT NULL AND month NOT IN (SELECT month FROM rollup_months);

-- name: lookback_months
-- Kept months with activity in the 11 months after a rebuilt month: their habitual and active_12m counts look back
-- at it (docs/metrics.md#participation), so their any-tool rows are counted again.
CREATE OR REPLACE TEMP TABLE rollup_lookback_months AS
SELECT DISTINCT m.month
FROM month_status m
JOIN rollup_months r ON m.month > r.month AND m.month <= CAST(r.month + INTERVAL 11 MONTH AS DATE)
WHERE m.has_activity
  AND m.month NOT IN (SELECT month FROM rollup_months) AND m.month NOT IN (SELECT month FROM rollup_new_months);

-- name: update_new
UPDATE person_month SET is_new = coalesce(person_month.active AND person_month.month = c.new_first, false)
FROM first_active_changes c
WHERE person_month.person_key = c.person_key AND person_month.active IS NOT NULL
  AND person_month.month IN (SELECT month FROM rollup_new_months);

-- name: update_unmapped
-- Join coverage per rebuilt month: the people in the activity files, those not on the roster, those concealed.
UPDATE month_status SET activity_people = x.people, unmapped_people = x.unmapped, concealed_people = x.concealed
FROM (
    SELECT month, count(*) AS people, count(*) FILTER (WHERE NOT mapped) AS unmapped,
        count(*) FILTER (WHERE concealed) AS concealed
    FROM (
        SELECT a.month, a.person_key, bool_or(pm.person_key IS NOT NULL) AS mapped, bool_or(a.concealed) AS concealed
        FROM rollup_activity a
        LEFT JOIN (SELECT month, person_key FROM person_month
                   WHERE month BETWEEN $first_month AND $last_month AND month IN (SELECT month FROM rollup_months)) pm
            ON pm.month = a.month AND pm.person_key = a.person_key
        GROUP BY ALL
    )
    GROUP BY month
) x
WHERE month_status.month = x.month;

-- name: delete_org_rollup
-- The any-tool rows of the rebuilt months, of the months whose newcomers changed and of the months that look back
-- at a rebuilt month; the per-tool rows (which have no newcomers and look back at nothing) that tool_months names.
DELETE FROM org_rollup
WHERE (tool = '*' AND month IN (SELECT month FROM rollup_months UNION ALL SELECT month FROM rollup_new_months
                                UNION ALL SELECT month FROM rollup_lookback_months))
   OR (tool <> '*' AND month IN (SELECT month FROM rollup_tool_months)
       AND EXISTS (SELECT 1 FROM rollup_tool_months t
                   WHERE t.month = org_rollup.month AND (t.tool IS NULL OR t.tool = org_rollup.tool)));

-- name: insert_org_rollup
-- Habitual and active_12m look back at each person's earlier months: one pass over the active rows of the 12
-- months ending with each counted month (docs/metrics.md#participation), never over all of person_month.
-- $first_counted and $last_counted bound the counted months, so that the scan skips every other month's rows.
INSERT INTO org_rollup
WITH counted AS (
    SELECT month FROM rollup_months UNION SELECT month FROM rollup_new_months
    UNION SELECT month FROM rollup_lookback_months
),
recent AS (
    -- per person and counted month: their active months among the three ending with it (any of the 12 is a row)
    SELECT c.month, pm.person_key,
        count(*) FILTER (WHERE pm.month >= CAST(c.month - INTERVAL 2 MONTH AS DATE)) AS active_3m
    FROM counted c
    JOIN person_month pm ON pm.month BETWEEN CAST(c.month - INTERVAL 11 MONTH AS DATE) AND c.month
    WHERE pm.active
      AND pm.month BETWEEN CAST($first_counted - INTERVAL 11 MONTH AS DATE) AND $last_counted
    GROUP BY ALL
),
held AS (
    -- habitual needs activity held in the month and the two before it
    SELECT m.month, m.has_activity,
        m.has_activity AND coalesce(m1.has_activity, false) AND coalesce(m2.has_activity, false) AS has_3m
    FROM month_status m
    LEFT JOIN month_status m1 ON m1.month = CAST(m.month - INTERVAL 1 MONTH AS DATE)
    LEFT JOIN month_status m2 ON m2.month = CAST(m.month - INTERVAL 2 MONTH AS DATE)
    WHERE m.month IN (SELECT month FROM counted)
)
SELECT p.month, p.department, p.region, p.business_unit, p.level, '*' AS tool,
    count(*) AS headcount, sum(p.active::INT) AS active, sum(p.contributor::INT) AS contributors,
    sum(p.creator::INT) AS creators, sum(p.posts) AS posts, sum(p.replies) AS replies, sum(p.reactions) AS reactions,
    sum(p.is_new::INT) AS newcomers, sum(p.is_returning::INT) AS returners, sum(p.is_lapsed::INT) AS lapsed,
    sum(p.is_champion::INT) AS champions, sum(p.trained_12m::INT) AS trained_12m,
    sum(p.mobile::INT) AS mobile_active,
    sum(coalesce(p.posts, 0) + coalesce(p.replies, 0)) FILTER (WHERE p.is_champion) AS champion_contributions,
    sum((p.segment = 'responder')::INT) AS responders, sum((p.segment = 'observer')::INT) AS observers,
    sum(CASE WHEN h.has_3m THEN coalesce(r.active_3m = 3, false)::INT END) AS habitual,
    sum(CASE WHEN h.has_activity THEN (r.person_key IS NOT NULL)::INT END) AS active_12m
FROM person_month p
JOIN held h ON h.month = p.month
LEFT JOIN recent r ON r.month = p.month AND r.person_key = p.person_key
WHERE p.month IN (SELECT month FROM counted)
GROUP BY ALL;

-- name: insert_org_rollup_tools
-- Per tool: the roster people active on it, and their contributors, creators, posts, replies and reactions there.
-- A tool whose rows report no posts or replies (the older Teams export) has contributors, creators, posts and
-- replies NULL: the sums of NULLs.
INSERT INTO org_rollup
SELECT p.month, p.department, p.region, p.business_unit, p.level, a.tool,
    NULL, count(*), sum((a.posts + a.replies >= 1)::INT), sum((a.posts >= 1)::INT), sum(a.posts), sum(a.replies),
    sum(a.reactions), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM person_month p
JOIN rollup_activity a ON a.month = p.month AND a.person_key = p.person_key AND a.active
WHERE p.month BETWEEN $first_month AND $last_month AND p.month IN (SELECT month FROM rollup_tool_months)
  AND EXISTS (SELECT 1 FROM rollup_tool_months t WHERE t.month = a.month AND (t.tool IS NULL OR t.tool = a.tool))
GROUP BY ALL;

-- name: delete_segment_moves
DELETE FROM segment_moves WHERE month IN (SELECT month FROM rollup_months);

-- name: insert_segment_moves
-- Segment moves into each rebuilt month: the month after a rebuilt month is rebuilt too when it has activity, so a
-- move is always counted again when either of its months changes.
INSERT INTO segment_moves
SELECT p.month, p.department, p.region, p.business_unit, p.level, b.segment AS from_segment,
    p.segment AS to_segment, count(*) AS people
FROM person_month p
JOIN person_month b ON b.person_key = p.person_key AND b.month = CAST(p.month - INTERVAL 1 MONTH AS DATE)
WHERE p.month BETWEEN $first_month AND $last_month AND p.month IN (SELECT month FROM rollup_months)
  -- the months before: bounded, so that the scan skips every other month's rows
  AND b.month BETWEEN CAST($first_month - INTERVAL 1 MONTH AS DATE) AND $last_month
  AND p.segment IS NOT NULL AND b.segment IS NOT NULL
GROUP BY ALL;

-- name: delete_cohorts
-- A cohort's row for a month changes when that month is rebuilt (who was active), or when the cohort's month is
-- rebuilt or someone's first active month moves from or to it (who belongs, and in which org unit).
DELETE FROM cohort_rollup
WHERE month IN (SELECT month FROM rollup_months)
   OR cohort IN (SELECT month FROM rollup_months UNION ALL SELECT month FROM rollup_new_months);

-- name: insert_cohorts
-- Members are read from their `new` row (the org unit they had in their cohort's month), not by joining
-- first_active to all of person_month. $first_cohort is the earliest cohort counted again (the earliest rebuilt
-- month or month whose newcomers changed): a cohort counts from its own month on, so the kept months before it are
-- skipped by the scans themselves.
INSERT INTO cohort_rollup
WITH counted AS (
    SELECT m.cohort, p.month, m.department, m.region, m.business_unit, m.level
    FROM person_month p
    JOIN (SELECT person_key, month AS cohort, department, region, business_unit, level
          FROM person_month WHERE is_new) m ON m.person_key = p.person_key
    WHERE p.active AND p.month BETWEEN $first_month AND $last_month AND p.month IN (SELECT month FROM rollup_months)
    UNION ALL
    SELECT m.cohort, p.month, m.department, m.region, m.business_unit, m.level
    FROM person_month p
    JOIN (SELECT person_key, month AS cohort, department, region, business_unit, level
          FROM person_month
          WHERE is_new AND month >= $first_cohort
            AND month IN (SELECT month FROM rollup_months UNION ALL SELECT month FROM rollup_new_months)) m
        ON m.person_key = p.person_key
    WHERE p.active AND p.month >= $first_cohort AND p.month NOT IN (SELECT month FROM rollup_months)
)
SELECT cohort, month, department, region, business_unit, level, count(*) AS people
FROM counted
WHERE month >= cohort
GROUP BY ALL;

-- name: stage_flags
-- The people of the flag months whose champion or training flag changes, with their new flags (the same rules as
-- stage_person_month).
CREATE OR REPLACE TEMP TABLE flag_changes AS
WITH ms AS (SELECT * FROM month_status WHERE month IN (SELECT month FROM rollup_flag_months)),
champs AS (
    SELECT DISTINCT ms.month, c.person_key FROM ms JOIN live_champions c ON c.month = ms.champions_month
),
trained AS (
    SELECT DISTINCT ms.month, t.person_key
    FROM ms JOIN live_training t ON t.month BETWEEN CAST(ms.month - INTERVAL 11 MONTH AS DATE) AND ms.month
),
flags AS (
    SELECT pm.month, pm.person_key, pm.is_champion AS was_champion, pm.trained_12m AS was_trained,
        ch.person_key IS NOT NULL AS is_champion, tr.person_key IS NOT NULL AS trained_12m
    FROM person_month pm
    LEFT JOIN champs ch ON ch.month = pm.month AND ch.person_key = pm.person_key
    LEFT JOIN trained tr ON tr.month = pm.month AND tr.person_key = pm.person_key
    WHERE pm.month BETWEEN $first_flag_month AND $last_flag_month
      AND pm.month IN (SELECT month FROM rollup_flag_months)
)
SELECT month, person_key, is_champion, trained_12m FROM flags
WHERE is_champion IS DISTINCT FROM was_champion OR trained_12m IS DISTINCT FROM was_trained;

-- name: update_flags
UPDATE person_month SET is_champion = f.is_champion, trained_12m = f.trained_12m
FROM flag_changes f
WHERE person_month.month = f.month AND person_month.person_key = f.person_key;

-- name: update_flag_counts
-- The champion and training counts of the any-tool rows of the months where a flag changed (the same sums as
-- insert_org_rollup); a flag moves no one to another org unit, so every row is there already.
UPDATE org_rollup SET champions = x.champions, trained_12m = x.trained_12m,
    champion_contributions = x.champion_contributions
FROM (
    SELECT month, department, region, business_unit, level,
        sum(is_champion::INT) AS champions, sum(trained_12m::INT) AS trained_12m,
        sum(coalesce(posts, 0) + coalesce(replies, 0)) FILTER (WHERE is_champion) AS champion_contributions
    FROM person_month
    WHERE month BETWEEN $first_flag_month AND $last_flag_month
      AND month IN (SELECT DISTINCT month FROM flag_changes)
    GROUP BY ALL
) x
WHERE org_rollup.tool = '*' AND org_rollup.month = x.month
  AND org_rollup.department IS NOT DISTINCT FROM x.department AND org_rollup.region IS NOT DISTINCT FROM x.region
  AND org_rollup.business_unit IS NOT DISTINCT FROM x.business_unit AND org_rollup.level IS NOT DISTINCT FROM x.level;

-- name: department_kpi_months
-- Months whose department KPI rows or department adoption changed.
CREATE OR REPLACE TEMP TABLE department_kpi_months AS
SELECT month FROM rollup_months
UNION
SELECT month FROM rollup_changes WHERE kind = 'kpis';

-- name: delete_department_kpis
DELETE FROM department_kpis WHERE month IN (SELECT month FROM department_kpi_months);

-- name: insert_department_kpis
INSERT INTO department_kpis
WITH adoption AS (
    SELECT month, department, sum(headcount) FILTER (WHERE tool = '*') AS headcount,
        sum(active) FILTER (WHERE tool = '*') AS active
    FROM org_rollup WHERE month IN (SELECT month FROM department_kpi_months)
    GROUP BY ALL
)
SELECT k.month, k.kpi, k.department, k.value, k.higher_is_better, k.unit, a.headcount, a.active
FROM live_kpis k
JOIN adoption a ON a.month = k.month AND a.department = k.department
WHERE k.department IS NOT NULL AND k.month IN (SELECT month FROM department_kpi_months);

-- name: delete_kpi_correlations
DELETE FROM kpi_correlations WHERE month IN (SELECT month FROM department_kpi_months);

-- name: insert_kpi_correlations
-- Spearman rank correlation (average ranks for ties) between each department-level KPI and adoption across
-- departments, negated where lower is better; NULL below 5 departments or for a constant series. Computed for
-- each distinct department size as the smallest size counted, so that any minimum group size is one lookup.
-- Each KPI's departments are a short list: a value's average rank = values below it + (values equal to it + 1) / 2.
INSERT INTO kpi_correlations
WITH points AS (
    SELECT month, kpi, department, higher_is_better, headcount, value,
        CAST(active / headcount AS DOUBLE) AS adoption_rate
    FROM department_kpis
    WHERE month IN (SELECT month FROM department_kpi_months) AND active IS NOT NULL AND value IS NOT NULL
),
floors AS (
    SELECT month, kpi, group_ceiling,
        lag(group_ceiling) OVER (PARTITION BY month, kpi ORDER BY group_ceiling) AS group_floor
    FROM (SELECT DISTINCT month, kpi, headcount AS group_ceiling FROM points)
),
counted AS (
    SELECT f.month, f.kpi, f.group_floor, f.group_ceiling, bool_and(p.higher_is_better) AS higher_is_better,
        -- both lists in department order: the ranks pair up, and the sums come out the same on every run
        list(p.value ORDER BY p.department) AS kpi_values,
        list(p.adoption_rate ORDER BY p.department) AS adoption_rates
    FROM floors f JOIN points p ON p.month = f.month AND p.kpi = f.kpi AND p.headcount >= f.group_ceiling
    GROUP BY ALL
),
ranked AS (
    SELECT *, len(kpi_values) AS departments,
        list_transform(kpi_values, x -> (2 * len(list_filter(kpi_values, y -> y < x))
                                         + len(list_filter(kpi_values, y -> y = x)) + 1) / 2.0) AS value_ranks,
        list_transform(adoption_rates, x -> (2 * len(list_filter(adoption_rates, y -> y < x))
                                             + len(list_filter(adoption_rates, y -> y = x)) + 1) / 2.0)
            AS adoption_ranks
    FROM counted
)
SELECT month, kpi, group_floor, group_ceiling, departments,
    CASE WHEN departments >= 5 AND list_var_pop(value_ranks) > 0 AND list_var_pop(adoption_ranks) > 0
         THEN (CASE WHEN higher_is_better THEN 1 ELSE -1 END)
              * (list_dot_product(value_ranks, adoption_ranks) / departments
                 - list_avg(value_ranks) * list_avg(adoption_ranks))
              / sqrt(list_var_pop(value_ranks) * list_var_pop(adoption_ranks)) END
FROM ranked;

-- name: delete_sources
DELETE FROM rollup_sources;

-- name: insert_sources
INSERT INTO rollup_sources SELECT upload_id, kind, tool, month FROM live_slices WHERE kind NOT IN ('checklist', 'initiatives', 'targets');
