-- Stage rubric measures that no other metric family defines (1a, 1b, 1c, 4d; docs/metrics.md#criteria-and-measures).
-- Every other measure the rubric uses is read from metrics.sql, adoption.sql and alignment.sql, never computed here
-- a second time.
-- Parameters: $from_month, $to_month DATE (inclusive); one row per month the warehouse holds in that range.
-- One query for every month: the page's history evaluates the rubric for each month held, and a query per month
-- and measure cost far more in planning than in reading.

-- name: month_inputs
-- 1a: an activity upload exists for the month. 1b: a roster applies to the month (carried forward allowed).
-- 1c: distinct KPIs whose whole-organisation row (empty department) has a target in the month.
-- 4d: those that also name a business objective. NULL where the month has no KPI upload (KPIs never carry forward).
WITH counted AS (
    SELECT month,
        count(DISTINCT kpi) FILTER (WHERE target IS NOT NULL) AS kpis_with_target,
        count(DISTINCT kpi) FILTER (WHERE target IS NOT NULL AND trim(coalesce(objective, '')) <> '')
            AS kpis_with_objective
    FROM live_kpis
    WHERE department IS NULL AND month BETWEEN $from_month AND $to_month
    GROUP BY month
)
SELECT s.month, s.has_activity AS activity_uploaded, s.roster_month IS NOT NULL AS roster_applies,
    CASE WHEN s.has_kpis THEN coalesce(c.kpis_with_target, 0) END AS kpis_with_target,
    CASE WHEN s.has_kpis THEN coalesce(c.kpis_with_objective, 0) END AS kpis_with_objective
FROM month_status s
LEFT JOIN counted c ON c.month = s.month
WHERE s.month BETWEEN $from_month AND $to_month
ORDER BY s.month;
