-- Business alignment: KPI scorecard, department-level correlation with adoption, KPI against adoption over time.

-- name: scorecard
-- Whole-organisation KPI rows (empty department) in $month, with last month's value and a 12-month history.
WITH kpis AS (SELECT * FROM live_kpis WHERE department IS NULL),
now AS (SELECT * FROM kpis WHERE month = $month),
previous AS (SELECT kpi, value FROM kpis WHERE month = CAST($month - INTERVAL 1 MONTH AS DATE)),
history AS (
    SELECT kpi, list(value ORDER BY month) AS history, list(strftime(month, '%Y-%m') ORDER BY month) AS history_months
    FROM kpis WHERE month BETWEEN CAST($month - INTERVAL 11 MONTH AS DATE) AND $month GROUP BY kpi
)
SELECT n.kpi, n.value, n.target, n.unit, n.higher_is_better, n.objective,
    CASE WHEN n.target IS NULL THEN NULL WHEN n.higher_is_better THEN n.value >= n.target
         ELSE n.value <= n.target END AS on_target,
    p.value AS previous_value, n.value - p.value AS change,
    h.history, h.history_months
FROM now n
LEFT JOIN previous p ON p.kpi = n.kpi
LEFT JOIN history h ON h.kpi = n.kpi
ORDER BY n.kpi;

-- name: department_points
-- Department-level KPI values in $month beside each department's adoption (departments >= $min_group only).
SELECT kpi, department, value, higher_is_better, unit,
    held_rate(active, headcount, active IS NOT NULL) AS adoption_rate
FROM department_kpis
WHERE month = $month AND headcount >= $min_group AND active IS NOT NULL
ORDER BY kpi, department;

-- name: correlations
-- Spearman rank correlation (average ranks for ties) per department-level KPI for each month from $from_month to
-- $to_month, across departments of at least $min_group people; negated where lower is better. NULL below 5
-- departments or for a constant series. Computed at import for every minimum group size (queries/rollups.sql,
-- kpi_correlations).
SELECT month, kpi, departments, correlation
FROM kpi_correlations
WHERE month BETWEEN $from_month AND $to_month
  AND $min_group <= group_ceiling AND ($min_group > group_floor OR group_floor IS NULL)
ORDER BY month, kpi;

-- name: kpi_trend
-- Each whole-organisation KPI's value by month beside organisation adoption, from $from_month to $to_month: the
-- whole organisation, whatever its size, as the stage placement (docs/metrics.md#minimum-group-size).
WITH adoption AS (
    SELECT r.month, held_rate(sum(r.active), sum(r.headcount), any_value(m.has_activity)) AS adoption_rate
    FROM scoped_rollup($from_month, $to_month, NULL, NULL, NULL, 1) r JOIN month_status m USING (month)
    WHERE r.tool = '*'
    GROUP BY r.month
)
SELECT k.month, k.kpi, k.value, k.target, k.higher_is_better, k.unit, a.adoption_rate
FROM live_kpis k
LEFT JOIN adoption a ON a.month = k.month
WHERE k.department IS NULL AND k.month BETWEEN $from_month AND $to_month
ORDER BY k.kpi, k.month;
