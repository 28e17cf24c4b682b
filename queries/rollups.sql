-- Rollup refresh, run in file order inside the upload's transaction for every month >= $from_month.
-- Per-person rows are read only here; pages, the rubric and the CLI read month_status and org_rollup.

-- name: delete_month_status
DELETE FROM month_status WHERE month >= $from_month;

-- name: insert_month_status
INSERT INTO month_status
WITH slices AS (SELECT DISTINCT kind, tool, month FROM live_slices WHERE kind <> 'checklist'),
bounds AS (SELECT min(month) AS first_month, max(month) AS last_month FROM slices),
months AS (
    SELECT CAST(unnest(generate_series(
        CAST(greatest(first_month, CAST($from_month AS DATE)) AS TIMESTAMP),
        CAST(last_month AS TIMESTAMP), INTERVAL 1 MONTH)) AS DATE) AS month
    FROM bounds WHERE last_month IS NOT NULL
)
SELECT m.month,
    (SELECT max(s.month) FROM slices s WHERE s.kind = 'roster' AND s.month <= m.month),
    (SELECT max(s.month) FROM slices s WHERE s.kind = 'champions' AND s.month <= m.month),
    EXISTS (SELECT 1 FROM slices s WHERE s.kind = 'activity' AND s.month = m.month),
    coalesce((SELECT list(DISTINCT s.tool ORDER BY s.tool) FROM slices s WHERE s.kind = 'activity' AND s.month = m.month), []),
    EXISTS (SELECT 1 FROM slices s WHERE s.kind = 'communities' AND s.month = m.month),
    EXISTS (SELECT 1 FROM slices s WHERE s.kind = 'kpis' AND s.month = m.month),
    EXISTS (SELECT 1 FROM slices s WHERE s.kind = 'training'
            AND s.month BETWEEN CAST(m.month - INTERVAL 11 MONTH AS DATE) AND m.month),
    NULL, NULL, NULL,
    EXISTS (SELECT 1 FROM slices s WHERE s.kind = 'devices' AND s.month = m.month)
FROM months m;

-- name: delete_person_month
DELETE FROM person_month WHERE month >= $from_month;

-- name: stage_person_month
CREATE OR REPLACE TEMP TABLE pm_stage AS
WITH ms AS (SELECT * FROM month_status WHERE month >= $from_month),
people AS (
    SELECT ms.month, r.person_key, r.department, r.region, r.business_unit, r.level, ms.has_activity,
        ms.has_devices
    FROM ms JOIN live_roster r ON r.month = ms.roster_month
),
mobile AS (
    SELECT month, person_key, bool_or(coalesce(used_mobile, false)) AS used_mobile
    FROM live_devices WHERE month >= $from_month
    GROUP BY ALL
),
per_tool AS (
    SELECT month, person_key, tool,
        coalesce(sum(posts), 0) AS posts, coalesce(sum(replies), 0) AS replies,
        coalesce(sum(reactions), 0) AS reactions,
        bool_or(coalesce(posts, 0) + coalesce(replies, 0) + coalesce(reactions, 0) + coalesce(reads, 0)
                + coalesce(other_actions, 0) > 0 OR coalesce(active_days, 0) > 0) AS active
    FROM live_activity WHERE month >= $from_month
    GROUP BY ALL
),
per_person AS (
    SELECT month, person_key,
        sum(posts) AS posts, sum(replies) AS replies, sum(reactions) AS reactions, bool_or(active) AS active,
        list(struct_pack(tool := tool, contributor := posts + replies >= 1, creator := posts >= 1,
                         posts := posts, replies := replies, reactions := reactions) ORDER BY tool)
            FILTER (WHERE active) AS tools
    FROM per_tool
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
    CASE WHEN p.has_activity THEN coalesce(a.active AND a.posts + a.replies >= 1, false) END AS contributor,
    CASE WHEN p.has_activity THEN coalesce(a.active AND a.posts >= 1, false) END AS creator,
    a.posts, a.replies, a.reactions, coalesce(a.tools, []) AS tools,
    ch.person_key IS NOT NULL AS is_champion,
    tr.person_key IS NOT NULL AS trained_12m,
    CASE WHEN p.has_activity AND p.has_devices
         THEN coalesce(a.active AND mo.used_mobile, false) END AS mobile
FROM people p
LEFT JOIN per_person a ON a.month = p.month AND a.person_key = p.person_key
LEFT JOIN champs ch ON ch.month = p.month AND ch.person_key = p.person_key
LEFT JOIN trained tr ON tr.month = p.month AND tr.person_key = p.person_key
LEFT JOIN mobile mo ON mo.month = p.month AND mo.person_key = p.person_key;

-- name: insert_person_month
INSERT INTO person_month
WITH earlier AS (
    SELECT DISTINCT person_key FROM person_month WHERE month < $from_month AND active
),
previous AS (
    SELECT month, person_key, active FROM person_month
    WHERE month = CAST(CAST($from_month AS DATE) - INTERVAL 1 MONTH AS DATE)
    UNION ALL
    SELECT month, person_key, active FROM pm_stage
),
firsts AS (SELECT person_key, min(month) AS first_month FROM pm_stage WHERE active GROUP BY ALL)
SELECT s.month, s.person_key, s.department, s.region, s.business_unit, s.level,
    s.active, s.contributor, s.creator, s.posts, s.replies, s.reactions, s.tools,
    CASE WHEN s.active IS NOT NULL
         THEN coalesce(s.active AND f.first_month = s.month AND e.person_key IS NULL, false) END AS is_new,
    CASE WHEN s.active IS NOT NULL THEN coalesce(s.active AND p.active, false) END AS is_returning,
    CASE WHEN s.active IS NOT NULL THEN coalesce(p.active AND NOT s.active, false) END AS is_lapsed,
    s.is_champion, s.trained_12m, s.mobile
FROM pm_stage s
LEFT JOIN earlier e ON e.person_key = s.person_key
LEFT JOIN firsts f ON f.person_key = s.person_key
LEFT JOIN previous p ON p.person_key = s.person_key AND p.month = CAST(s.month - INTERVAL 1 MONTH AS DATE);

-- name: drop_stage
DROP TABLE pm_stage;

-- name: update_unmapped
UPDATE month_status SET activity_people = x.people, unmapped_people = x.unmapped, concealed_people = x.concealed
FROM (
    SELECT a.month, count(DISTINCT a.person_key) AS people,
        count(DISTINCT a.person_key) FILTER (WHERE pm.person_key IS NULL) AS unmapped,
        count(DISTINCT a.person_key) FILTER (WHERE a.concealed) AS concealed
    FROM live_activity a
    LEFT JOIN person_month pm ON pm.month = a.month AND pm.person_key = a.person_key
    WHERE a.month >= $from_month
    GROUP BY ALL
) x
WHERE month_status.month = x.month;

-- name: delete_org_rollup
DELETE FROM org_rollup WHERE month >= $from_month;

-- name: insert_org_rollup
INSERT INTO org_rollup
SELECT month, department, region, business_unit, level, '*' AS tool,
    count(*) AS headcount, sum(active::INT) AS active, sum(contributor::INT) AS contributors,
    sum(creator::INT) AS creators, sum(posts) AS posts, sum(replies) AS replies, sum(reactions) AS reactions,
    sum(is_new::INT) AS newcomers, sum(is_returning::INT) AS returners, sum(is_lapsed::INT) AS lapsed,
    sum(is_champion::INT) AS champions, sum(trained_12m::INT) AS trained_12m,
    sum(mobile::INT) AS mobile_active,
    sum(coalesce(posts, 0) + coalesce(replies, 0)) FILTER (WHERE is_champion) AS champion_contributions
FROM person_month WHERE month >= $from_month
GROUP BY ALL
UNION ALL
SELECT month, department, region, business_unit, level, t.tool,
    NULL, count(*), sum(t.contributor::INT), sum(t.creator::INT), sum(t.posts), sum(t.replies), sum(t.reactions),
    NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM (SELECT month, department, region, business_unit, level, unnest(tools) AS t
      FROM person_month WHERE month >= $from_month)
GROUP BY ALL;
