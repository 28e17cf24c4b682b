-- Headline metrics (docs/metrics.md#headline-metrics) for one month, read from the scoped, suppressed source
-- (queries/scope.sql): a month whose scope holds fewer than $min_group people has no figures.
-- Parameters: $month (or $from_month..$to_month) DATE; $departments, $regions, $units VARCHAR[] or NULL (= all);
-- $tool VARCHAR or NULL (= any); $min_group INTEGER.

-- name: org_months
-- One row per month from $from_month to $to_month (inclusive) that the warehouse holds.
-- Kept to one pass over the scoped rollup and one join: a page asks for it several times, and planning dominates.
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
    FROM scoped_rollup($from_month, $to_month, $departments, $regions, $units, $min_group, as_then := $as_then)
    GROUP BY month
),
status AS (
    SELECT *, tool_held(has_activity, tools, $tool) AS has_tool_activity,
        contribution_held(contribution_tools, $tool) AS has_contribution
    FROM month_status WHERE month BETWEEN $from_month AND $to_month
)
SELECT
    s.month,
    t.headcount,
    CASE WHEN s.has_tool_activity AND t.headcount > 0 THEN coalesce(t.active, 0) END AS active,
    -- t.active, not a bare `active`: that would bind to the column above, NULL when nobody in scope was active on
    -- the tool, and the month would read "no data" instead of 0%.
    held_rate(t.active, t.headcount, s.has_tool_activity) AS adoption_rate,
    -- With all tools, contributors and creators count over the tools that report posts or replies that month;
    -- none, or the filtered tool not among them, is no data (docs/metrics.md#contribution-data).
    CASE WHEN s.has_contribution AND t.headcount > 0 THEN coalesce(t.contributors, 0) END AS contributors,
    held_rate(t.contributors, t.headcount, s.has_contribution) AS contribution_rate,
    CASE WHEN s.has_contribution AND t.headcount > 0 THEN coalesce(t.creators, 0) END AS creators,
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.returners, 0) END AS "returning",
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.newcomers, 0) END AS "new",
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.lapsed, 0) END AS lapsed,
    -- Executives are a group of their own: fewer than $min_group of them in scope and the rate is withheld.
    held_rate(t.executives_active, t.executives, s.has_tool_activity AND t.executives >= $min_group)
        AS leadership_participation,
    CASE WHEN s.has_contribution AND t.posts > 0
         THEN (coalesce(t.replies, 0) + coalesce(t.reactions, 0)) / t.posts END AS responses_per_post,
    -- Communities and KPIs are organisation-wide facts: the view models withhold them for a scope that is too small.
    CASE WHEN s.has_communities THEN coalesce(s.active_communities[coalesce($tool, '*')], 0) END
        AS active_communities,
    CASE WHEN s.champions_month IS NOT NULL AND t.headcount > 0 THEN t.champion_coverage END AS champion_coverage,
    CASE WHEN s.champions_month IS NOT NULL AND t.headcount > 0
         THEN 1000.0 * coalesce(t.champions, 0) / t.headcount END AS champions_per_1000,
    held_rate(t.trained, t.headcount, s.has_training) AS training_reach,
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
    activity_people, unmapped_people, concealed_people, contribution_tools
FROM month_status WHERE month = $month;

-- name: contribution_gaps
-- The months from $from_month to $to_month with activity on a tool that reports no posts or replies (the older
-- Teams export), with that tool and whether any other tool reports them: the pages say so in a sentence.
SELECT month, tool, len(contribution_tools) > 0 AS others_hold
FROM (SELECT month, unnest(tools) AS tool, contribution_tools FROM month_status
      WHERE month BETWEEN $from_month AND $to_month AND has_activity)
WHERE NOT list_contains(contribution_tools, tool)
ORDER BY month, tool;

-- name: filter_options
-- Every department (by today's name unless $as_then), region, unit and tool held in any month.
SELECT list(DISTINCT department ORDER BY department) AS departments,
    list(DISTINCT region ORDER BY region) AS regions,
    list(DISTINCT business_unit ORDER BY business_unit) AS units,
    (SELECT list(DISTINCT tool ORDER BY tool) FROM org_rollup WHERE tool <> '*') AS tools
FROM in_scope(DATE '0001-01-01', DATE '9999-12-01', NULL, NULL, NULL, as_then := $as_then) WHERE tool = '*';

-- name: mobile_reach
-- Mobile reach: the share of active people (on any tool) who used a phone or tablet app in the month, from the
-- Viva Engage and Teams device usage reports (either one). NULL when the month has no device upload or no one
-- active in scope.
-- The tool filter does not apply: device usage is reported per person, and activity counts on any tool.
SELECT CASE WHEN s.has_devices AND s.has_activity AND t.active > 0
            THEN coalesce(t.mobile_active, 0) / t.active END AS mobile_reach
FROM month_status s,
    (SELECT sum(active) AS active, sum(mobile_active) AS mobile_active
     FROM scoped_rollup($month, $month, $departments, $regions, $units, $min_group, as_then := $as_then) WHERE tool = '*') t
WHERE s.month = $month;

-- name: withheld_months
-- The months from $from_month to $to_month whose scope is too small to show (queries/scope.sql).
SELECT month FROM withheld_months($from_month, $to_month, $departments, $regions, $units, $min_group, as_then := $as_then) ORDER BY month;
