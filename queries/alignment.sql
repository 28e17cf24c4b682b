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
WITH adoption AS (
    SELECT department, sum(headcount) FILTER (WHERE tool = '*') AS headcount,
        sum(active) FILTER (WHERE tool = '*') AS active
    FROM org_rollup WHERE month = $month GROUP BY department
)
SELECT k.kpi, k.department, k.value, k.higher_is_better, k.unit,
    a.active / a.headcount AS adoption_rate
FROM live_kpis k
JOIN adoption a ON a.department = k.department
JOIN month_status s ON s.month = k.month
WHERE k.month = $month AND k.department IS NOT NULL AND a.headcount >= $min_group AND s.has_activity
ORDER BY k.kpi, k.department;

-- name: correlations
-- Spearman rank correlation (average ranks for ties) per department-level KPI in $month, across departments of
-- at least $min_group people; negated where lower is better. NULL below 5 departments or for a constant series.
WITH adoption AS (
    SELECT department, sum(headcount) FILTER (WHERE tool = '*') AS headcount,
        sum(active) FILTER (WHERE tool = '*') AS active
    FROM org_rollup WHERE month = $month GROUP BY department
),
points AS (
    SELECT k.kpi, bool_and(k.higher_is_better) AS higher_is_better, k.department, any_value(k.value) AS value,
        any_value(a.active / a.headcount) AS adoption_rate
    FROM live_kpis k
    JOIN adoption a ON a.department = k.department
    JOIN month_status s ON s.month = k.month
    WHERE k.month = $month AND k.department IS NOT NULL AND a.headcount >= $min_group AND s.has_activity
      AND k.value IS NOT NULL
    GROUP BY k.kpi, k.department
),
ranked AS (
    SELECT kpi, higher_is_better,
        (rank() OVER (PARTITION BY kpi ORDER BY value)
         + rank() OVER (PARTITION BY kpi ORDER BY value) + count(*) OVER (PARTITION BY kpi, value) - 1) / 2.0
            AS value_rank,
        (rank() OVER (PARTITION BY kpi ORDER BY adoption_rate)
         + rank() OVER (PARTITION BY kpi ORDER BY adoption_rate) + count(*) OVER (PARTITION BY kpi, adoption_rate) - 1)
            / 2.0 AS adoption_rank
    FROM points
)
SELECT kpi, count(*) AS departments,
    CASE WHEN count(*) >= 5 AND var_pop(value_rank) > 0 AND var_pop(adoption_rank) > 0
         THEN (CASE WHEN bool_and(higher_is_better) THEN 1 ELSE -1 END) * corr(value_rank, adoption_rank) END
        AS correlation
FROM ranked
GROUP BY kpi
ORDER BY kpi;

-- name: kpi_trend
-- Each whole-organisation KPI's value by month beside organisation adoption, from $from_month to $to_month.
SELECT k.month, k.kpi, k.value, k.target, k.higher_is_better, k.unit,
    (SELECT sum(active) FILTER (WHERE tool = '*') / sum(headcount) FILTER (WHERE tool = '*')
     FROM org_rollup o WHERE o.month = k.month) AS adoption_rate
FROM live_kpis k
WHERE k.department IS NULL AND k.month BETWEEN $from_month AND $to_month
ORDER BY k.kpi, k.month;
