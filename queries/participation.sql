-- Participation (docs/metrics.md#participation): segments, habitual people, stickiness, segment moves and cohort
-- retention, read from the scoped, suppressed sources (queries/scope.sql): a month whose scope holds fewer than
-- $min_group people has no figures, and a cohort of fewer than $min_group people in scope is not shown.
-- They describe people across all tools: the tool filter does not apply.
-- Parameters: $from_month, $to_month DATE (inclusive); $departments, $regions, $units VARCHAR[] or NULL (= all);
-- $min_group INTEGER.

-- name: segments_by_month
-- One row per month held from $from_month to $to_month. Creators, responders and observers need contribution data
-- (some tool reporting posts or replies); inactive needs activity; habitual needs activity in the month and the two
-- before it; stickiness needs someone active in the 12 months ending with the month.
WITH totals AS (
    SELECT month, sum(headcount) AS headcount, sum(active) AS active, sum(creators) AS creators,
        sum(responders) AS responders, sum(observers) AS observers, sum(habitual) AS habitual,
        sum(active_12m) AS active_12m
    FROM scoped_rollup($from_month, $to_month, $departments, $regions, $units, $min_group, as_then := $as_then)
    WHERE tool = '*'
    GROUP BY month
),
status AS (
    SELECT m.month, m.has_activity, contribution_held(m.contribution_tools, NULL) AS has_segments,
        m.has_activity AND coalesce(m1.has_activity, false) AND coalesce(m2.has_activity, false) AS has_3m
    FROM month_status m
    LEFT JOIN month_status m1 ON m1.month = CAST(m.month - INTERVAL 1 MONTH AS DATE)
    LEFT JOIN month_status m2 ON m2.month = CAST(m.month - INTERVAL 2 MONTH AS DATE)
    WHERE m.month BETWEEN $from_month AND $to_month
)
SELECT s.month, t.headcount,
    CASE WHEN s.has_segments AND t.headcount > 0 THEN coalesce(t.creators, 0) END AS creators,
    CASE WHEN s.has_segments AND t.headcount > 0 THEN coalesce(t.responders, 0) END AS responders,
    CASE WHEN s.has_segments AND t.headcount > 0 THEN coalesce(t.observers, 0) END AS observers,
    CASE WHEN s.has_activity AND t.headcount > 0 THEN t.headcount - coalesce(t.active, 0) END AS inactive,
    CASE WHEN s.has_3m AND t.headcount > 0 THEN coalesce(t.habitual, 0) END AS habitual,
    CASE WHEN s.has_activity AND t.active_12m > 0 THEN coalesce(t.active, 0) / t.active_12m END AS stickiness,
    CASE WHEN s.has_activity AND t.headcount > 0 THEN coalesce(t.active_12m, 0) END AS active_12m
FROM status s
LEFT JOIN totals t ON t.month = s.month
ORDER BY s.month;

-- name: moves
-- People by their segment in the month before and in the month, for every month from $from_month to $to_month with
-- segments in both (people on both months' rosters; each counted in the org unit of the later month).
SELECT month, from_segment, to_segment, sum(people) AS people
FROM scoped_moves($from_month, $to_month, $departments, $regions, $units, $min_group, as_then := $as_then)
GROUP BY ALL
ORDER BY month, from_segment, to_segment;

-- name: cohorts
-- Each cohort of $from_month..$to_month of at least $min_group people in scope, with its share counted active in
-- each later month held with activity, up to $to_month. A cohort with no later month yet has one row, month NULL.
WITH counted AS (SELECT * FROM scoped_cohorts($from_month, $to_month, $departments, $regions, $units, $min_group, as_then := $as_then)),
cohorts AS (SELECT DISTINCT cohort, size FROM counted)
SELECT c.cohort, c.size, m.month, date_diff('month', c.cohort, m.month) AS months_after,
    coalesce(r.people, 0) / c.size AS retention
FROM cohorts c
LEFT JOIN month_status m ON m.month > c.cohort AND m.month <= $to_month AND m.has_activity
LEFT JOIN counted r ON r.cohort = c.cohort AND r.month = m.month
ORDER BY c.cohort, m.month;
