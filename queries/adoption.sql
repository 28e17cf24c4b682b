-- Adoption breakdowns over the rollups. A cell covering fewer than $min_group people is suppressed:
-- its numbers are NULL and `suppressed` is true, so no chart, tooltip or download can show them.
-- Filters as in metrics.sql: $departments, $regions, $units (VARCHAR[] or NULL), $tool (VARCHAR or NULL).

-- name: by_dimension
-- Adoption per group of one org dimension ($dimension: department, region, business_unit or level),
-- for every month from $from_month to $to_month.
WITH scope AS (
    SELECT *, CASE $dimension WHEN 'department' THEN department WHEN 'region' THEN region
                              WHEN 'business_unit' THEN business_unit WHEN 'level' THEN level END AS grp
    FROM org_rollup
    WHERE month BETWEEN $from_month AND $to_month
      AND ($departments IS NULL OR list_contains($departments, department))
      AND ($regions IS NULL OR list_contains($regions, region))
      AND ($units IS NULL OR list_contains($units, business_unit))
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
    CASE WHEN c.headcount >= $min_group AND m.has_activity AND ($tool IS NULL OR list_contains(m.tools, $tool))
         THEN coalesce(c.active, 0) END AS active,
    CASE WHEN c.headcount >= $min_group AND m.has_activity AND ($tool IS NULL OR list_contains(m.tools, $tool))
         THEN coalesce(c.active, 0) / c.headcount END AS adoption_rate,
    CASE WHEN c.headcount >= $min_group AND m.has_activity AND ($tool IS NULL OR list_contains(m.tools, $tool))
         THEN coalesce(c.contributors, 0) / c.headcount END AS contribution_rate
FROM cells c JOIN month_status m ON m.month = c.month
WHERE c.headcount > 0
ORDER BY c.month, c.grp;

-- name: by_tool
-- Per-tool adoption for one month: people active on the tool / headcount. A person on several tools
-- counts once in "Any tool" and once in each tool.
WITH scope AS (
    SELECT * FROM org_rollup
    WHERE month = $month
      AND ($departments IS NULL OR list_contains($departments, department))
      AND ($regions IS NULL OR list_contains($regions, region))
      AND ($units IS NULL OR list_contains($units, business_unit))
),
headcount AS (SELECT sum(headcount) AS headcount FROM scope WHERE tool = '*'),
tools AS (SELECT unnest(tools) AS tool FROM month_status WHERE month = $month)
SELECT t.tool,
    h.headcount < $min_group AS suppressed,
    CASE WHEN h.headcount >= $min_group THEN coalesce(sum(s.active), 0) END AS active,
    CASE WHEN h.headcount >= $min_group THEN coalesce(sum(s.active), 0) / h.headcount END AS adoption_rate,
    CASE WHEN h.headcount >= $min_group THEN coalesce(sum(s.contributors), 0) / h.headcount END AS contribution_rate
FROM tools t CROSS JOIN headcount h LEFT JOIN scope s ON s.tool = t.tool
WHERE h.headcount > 0
GROUP BY t.tool, h.headcount
ORDER BY adoption_rate DESC NULLS LAST, t.tool;
