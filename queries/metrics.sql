-- Headline metrics (DESIGN.md §5) for one month over the rollups, scoped by the sidebar filters.
-- Parameters: $month (or $from_month..$to_month) DATE; $departments, $regions, $units VARCHAR[] or NULL (= all); $tool VARCHAR or NULL (= any).

-- name: org_months
-- One row per month from $from_month to $to_month (inclusive) that the warehouse holds.
-- Kept to one pass over org_rollup and one join: a page asks for it several times, and planning dominates.
WITH totals AS (
    SELECT month,
        sum(headcount) FILTER (WHERE tool = '*') AS headcount,
        sum(active) FILTER (WHERE tool = coalesce($tool, '*')) AS active,
        sum(contributors) FILTER (WHERE tool = coalesce($tool, '*')) AS contributors,
        sum(creators) FILTER (WHERE tool = coalesce($tool, '*')) AS creators,
        sum(posts) FILTER (WHERE tool = coalesce($tool, '*')) AS posts,
        sum(replies) FILTER (WHERE tool = coalesce($tool, '*')) AS replies,
        sum(reactions) FILTER (WHERE tool = coalesce($tool, '*')) AS reactions,
        sum(newcomers) FILTER (WHERE tool = '*') AS newcomers,
        sum(returners) FILTER (WHERE tool = '*') AS returners,
        sum(lapsed) FILTER (WHERE tool = '*') AS lapsed,
        sum(headcount) FILTER (WHERE tool = '*' AND level = 'executive') AS executives,
        sum(active) FILTER (WHERE tool = coalesce($tool, '*') AND level = 'executive') AS executives_active,
        sum(champions) FILTER (WHERE tool = '*') AS champions,
        sum(trained_12m) FILTER (WHERE tool = '*') AS trained,
        -- departments with at least one champion / departments in scope
        count(DISTINCT department) FILTER (WHERE tool = '*' AND champions > 0)
            / count(DISTINCT department) FILTER (WHERE tool = '*') AS champion_coverage
    FROM org_rollup
    WHERE month BETWEEN $from_month AND $to_month
      AND ($departments IS NULL OR list_contains($departments, department))
      AND ($regions IS NULL OR list_contains($regions, region))
      AND ($units IS NULL OR list_contains($units, business_unit))
    GROUP BY month
),
status AS (
    SELECT *, has_activity AND ($tool IS NULL OR list_contains(tools, $tool)) AS has_tool_activity
    FROM month_status WHERE month BETWEEN $from_month AND $to_month
)
SELECT
    s.month,
    t.headcount,
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.active, 0) END AS active,
    -- Written out, not `active / headcount`: a bare `active` binds to t.active, which is NULL when nobody in scope
    -- was active on the tool, and that month would read "no data" instead of 0%.
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.active, 0) / t.headcount END AS adoption_rate,
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.contributors, 0) END AS contributors,
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.contributors, 0) / t.headcount END
        AS contribution_rate,
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.creators, 0) END AS creators,
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.returners, 0) END AS "returning",
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.newcomers, 0) END AS "new",
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.lapsed, 0) END AS lapsed,
    CASE WHEN s.has_tool_activity AND t.executives > 0 THEN coalesce(t.executives_active, 0) / t.executives
    END AS leadership_participation,
    CASE WHEN s.has_tool_activity AND t.posts > 0
         THEN (coalesce(t.replies, 0) + coalesce(t.reactions, 0)) / t.posts END AS responses_per_post,
    CASE WHEN s.has_communities THEN coalesce(s.active_communities[coalesce($tool, '*')], 0) END
        AS active_communities,
    CASE WHEN s.champions_month IS NOT NULL AND t.headcount > 0 THEN t.champion_coverage END AS champion_coverage,
    CASE WHEN s.champions_month IS NOT NULL AND t.headcount > 0
         THEN 1000.0 * coalesce(t.champions, 0) / t.headcount END AS champions_per_1000,
    CASE WHEN s.has_training AND t.headcount > 0 THEN coalesce(t.trained, 0) / t.headcount END AS training_reach,
    CASE WHEN s.has_kpis THEN s.kpis_on_target_share END AS kpis_on_target_share,
    t.executives,
    CASE WHEN s.champions_month IS NOT NULL AND t.headcount > 0 THEN coalesce(t.champions, 0) END AS champions
FROM status s
LEFT JOIN totals t ON t.month = s.month
ORDER BY s.month;

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

-- name: mobile_reach
-- Mobile reach: the share of active people (on any tool) who used a phone or tablet app in the month, from the
-- Viva Engage device usage report. NULL when the month has no device upload or no one active in scope.
-- The tool filter does not apply: device usage is reported per person, and activity counts on any tool.
SELECT CASE WHEN s.has_devices AND s.has_activity AND t.active > 0
            THEN coalesce(t.mobile_active, 0) / t.active END AS mobile_reach
FROM month_status s,
    (SELECT sum(active) AS active, sum(mobile_active) AS mobile_active FROM org_rollup
     WHERE month = $month AND tool = '*'
       AND ($departments IS NULL OR list_contains($departments, department))
       AND ($regions IS NULL OR list_contains($regions, region))
       AND ($units IS NULL OR list_contains($units, business_unit))) t
WHERE s.month = $month;
