-- Headline metrics (DESIGN.md §5) for one month over the rollups, scoped by the sidebar filters.
-- Parameters: $month DATE; $departments, $regions, $units VARCHAR[] or NULL (= all); $tool VARCHAR or NULL (= any).

-- name: org_month
WITH scope AS (
    SELECT * FROM org_rollup
    WHERE month = $month
      AND ($departments IS NULL OR list_contains($departments, department))
      AND ($regions IS NULL OR list_contains($regions, region))
      AND ($units IS NULL OR list_contains($units, business_unit))
),
status AS (
    SELECT *, has_activity AND ($tool IS NULL OR list_contains(tools, $tool)) AS has_tool_activity
    FROM month_status WHERE month = $month
),
totals AS (
    SELECT
        sum(headcount) FILTER (WHERE tool = '*') AS headcount,
        sum(active) FILTER (WHERE tool = coalesce($tool, '*')) AS active,
        sum(contributors) FILTER (WHERE tool = coalesce($tool, '*')) AS contributors,
        sum(creators) FILTER (WHERE tool = coalesce($tool, '*')) AS creators,
        sum(posts) FILTER (WHERE tool = coalesce($tool, '*')) AS posts,
        sum(replies) FILTER (WHERE tool = coalesce($tool, '*')) AS replies,
        sum(reactions) FILTER (WHERE tool = coalesce($tool, '*')) AS reactions,
        sum(newcomers) FILTER (WHERE tool = '*') AS newcomers,
        sum(returners) FILTER (WHERE tool = '*') AS returners,
        sum(headcount) FILTER (WHERE tool = '*' AND level = 'executive') AS executives,
        sum(active) FILTER (WHERE tool = coalesce($tool, '*') AND level = 'executive') AS executives_active,
        sum(champions) FILTER (WHERE tool = '*') AS champions,
        sum(trained_12m) FILTER (WHERE tool = '*') AS trained
    FROM scope
),
departments AS (
    SELECT department, sum(champions) AS champions FROM scope WHERE tool = '*' GROUP BY department
),
kpi_status AS (
    SELECT CASE WHEN higher_is_better THEN value >= target ELSE value <= target END AS on_target
    FROM live_kpis WHERE month = $month AND department IS NULL AND target IS NOT NULL AND value IS NOT NULL
),
communities AS (
    SELECT count(*) FILTER (WHERE posts > 0) AS active_communities
    FROM live_communities WHERE month = $month AND ($tool IS NULL OR tool = $tool)
)
SELECT
    t.headcount,
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.active, 0) END AS active,
    active / nullif(t.headcount, 0) AS adoption_rate,
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.contributors, 0) END AS contributors,
    contributors / nullif(t.headcount, 0) AS contribution_rate,
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.creators, 0) END AS creators,
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.returners, 0) END AS "returning",
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.newcomers, 0) END AS "new",
    CASE WHEN s.has_tool_activity AND t.executives > 0 THEN coalesce(t.executives_active, 0) / t.executives
    END AS leadership_participation,
    CASE WHEN s.has_tool_activity AND t.posts > 0
         THEN (coalesce(t.replies, 0) + coalesce(t.reactions, 0)) / t.posts END AS responses_per_post,
    CASE WHEN s.has_communities THEN (SELECT active_communities FROM communities) END AS active_communities,
    CASE WHEN s.champions_month IS NOT NULL AND t.headcount > 0
         THEN (SELECT count(*) FILTER (WHERE champions > 0) / count(*) FROM departments) END AS champion_coverage,
    CASE WHEN s.champions_month IS NOT NULL AND t.headcount > 0
         THEN 1000.0 * coalesce(t.champions, 0) / t.headcount END AS champions_per_1000,
    CASE WHEN s.has_training AND t.headcount > 0 THEN coalesce(t.trained, 0) / t.headcount END AS training_reach,
    CASE WHEN s.has_kpis THEN (SELECT avg(on_target::INT) FROM kpi_status) END AS kpis_on_target_share
FROM status s, totals t;

-- name: months
SELECT month FROM month_status ORDER BY month;

-- name: month_status
SELECT month, roster_month, champions_month, has_activity, tools, has_communities, has_kpis, has_training,
    activity_people, unmapped_people, concealed_people
FROM month_status WHERE month = $month;

-- name: filter_options
SELECT list(DISTINCT department ORDER BY department) AS departments,
    list(DISTINCT region ORDER BY region) AS regions,
    list(DISTINCT business_unit ORDER BY business_unit) AS units,
    (SELECT list(DISTINCT tool ORDER BY tool) FROM org_rollup WHERE tool <> '*') AS tools
FROM org_rollup WHERE tool = '*';
