-- Adoption breakdowns over the scoped, suppressed source (queries/scope.sql). A cell covering fewer than $min_group
-- people is suppressed too: its numbers are NULL and `suppressed` is true, so no chart, tooltip or download can show
-- them (docs/metrics.md#minimum-group-size). Filters as in metrics.sql.

-- name: by_dimension
-- Adoption per group of one org dimension ($dimension: department, region, business_unit or level),
-- for every month from $from_month to $to_month.
WITH scope AS (
    SELECT *, CASE $dimension WHEN 'department' THEN department WHEN 'region' THEN region
                              WHEN 'business_unit' THEN business_unit WHEN 'level' THEN level END AS grp
    FROM scoped_rollup($from_month, $to_month, $departments, $regions, $units, $min_group, as_then := $as_then)
),
cells AS (
    SELECT s.month, s.grp,
        sum(s.headcount) FILTER (WHERE s.tool = '*') AS headcount,
        sum(s.active) FILTER (WHERE s.tool = coalesce($tool, '*')) AS active,
        sum(s.contributors) FILTER (WHERE s.tool = coalesce($tool, '*')) AS contributors
    FROM scope s
    GROUP BY ALL
)
SELECT c.month, c.grp AS "group",
    c.headcount < $min_group AS suppressed,
    CASE WHEN c.headcount >= $min_group THEN c.headcount END AS headcount,
    CASE WHEN c.headcount >= $min_group AND tool_held(m.has_activity, m.tools, $tool)
         THEN coalesce(c.active, 0) END AS active,
    held_rate(c.active, c.headcount, c.headcount >= $min_group AND tool_held(m.has_activity, m.tools, $tool))
        AS adoption_rate,
    held_rate(c.contributors, c.headcount, c.headcount >= $min_group AND contribution_held(m.contribution_tools, $tool))
        AS contribution_rate
FROM cells c JOIN month_status m ON m.month = c.month
WHERE c.headcount > 0
ORDER BY c.month, c.grp;

-- name: by_tool
-- Per-tool adoption for one month: people active on the tool / headcount. A person on several tools
-- counts once in "Any tool" and once in each tool.
WITH scope AS (SELECT * FROM scoped_rollup($month, $month, $departments, $regions, $units, $min_group, as_then := $as_then)),
headcount AS (SELECT sum(headcount) AS headcount FROM scope WHERE tool = '*'),
tools AS (
    SELECT unnest(tools) AS tool, contribution_tools FROM month_status WHERE month = $month
)
SELECT t.tool,
    h.headcount < $min_group AS suppressed,
    CASE WHEN h.headcount >= $min_group THEN coalesce(sum(s.active), 0) END AS active,
    held_rate(sum(s.active), h.headcount, h.headcount >= $min_group) AS adoption_rate,
    -- no data for a tool whose rows report no posts or replies (docs/metrics.md#contribution-data)
    held_rate(sum(s.contributors), h.headcount,
              h.headcount >= $min_group AND contribution_held(t.contribution_tools, t.tool)) AS contribution_rate
FROM tools t CROSS JOIN headcount h LEFT JOIN scope s ON s.tool = t.tool
WHERE h.headcount > 0
GROUP BY t.tool, t.contribution_tools, h.headcount
ORDER BY adoption_rate DESC NULLS LAST, t.tool;
