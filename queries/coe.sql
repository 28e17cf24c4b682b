-- Center of Excellence reach (docs/metrics.md#coe-reach) over the scoped, suppressed source (queries/scope.sql).
-- Departments of fewer than $min_group people are suppressed too.

-- name: departments
-- Per department for one month: headcount, champions, champions per 1,000 and adoption.
WITH cells AS (SELECT * FROM department_cells($month, $departments, $regions, $units, $tool, $min_group, as_then := $as_then)),
status AS (SELECT * FROM month_status WHERE month = $month)
SELECT c.department,
    coalesce(c.champions, 0) > 0 AS has_champion,
    c.headcount < $min_group AS suppressed,
    CASE WHEN c.headcount >= $min_group THEN c.headcount END AS headcount,
    CASE WHEN c.headcount >= $min_group THEN coalesce(c.champions, 0) END AS champions,
    CASE WHEN c.headcount >= $min_group THEN 1000.0 * coalesce(c.champions, 0) / c.headcount END AS champions_per_1000,
    held_rate(c.active, c.headcount, c.headcount >= $min_group AND tool_held(s.has_activity, s.tools, $tool))
        AS adoption_rate
FROM cells c, status s
WHERE s.champions_month IS NOT NULL AND c.headcount > 0
ORDER BY c.department;

-- name: lift
-- Adoption in departments with a champion against those without, and the headcount champions cover.
WITH cells AS (SELECT * FROM department_cells($month, $departments, $regions, $units, $tool, $min_group, as_then := $as_then)),
status AS (SELECT * FROM month_status WHERE month = $month),
sides AS (
    SELECT coalesce(champions, 0) > 0 AS has_champion, sum(headcount) AS headcount,
        sum(coalesce(active, 0)) AS active, count(*) AS departments
    FROM cells GROUP BY ALL
)
SELECT
    (SELECT held_rate(active, headcount, headcount >= $min_group) FROM sides WHERE has_champion)
        AS adoption_with_champion,
    (SELECT held_rate(active, headcount, headcount >= $min_group) FROM sides WHERE NOT has_champion)
        AS adoption_without_champion,
    -- Withheld when either side holds someone but fewer than $min_group people: it would tell that side's size.
    (SELECT CASE WHEN bool_and(headcount >= $min_group)
                 THEN coalesce(sum(headcount) FILTER (WHERE has_champion), 0) / sum(headcount) END FROM sides)
        AS headcount_covered,
    (SELECT coalesce(sum(departments) FILTER (WHERE has_champion), 0) FROM sides) AS departments_with,
    (SELECT coalesce(sum(departments) FILTER (WHERE NOT has_champion), 0) FROM sides) AS departments_without
FROM status s
WHERE s.champions_month IS NOT NULL AND tool_held(s.has_activity, s.tools, $tool)
  AND EXISTS (SELECT 1 FROM cells);

-- name: champion_content_share
-- Share of all posts and replies (by roster people, all tools) written by champions in $month. It tells what the
-- champions wrote, so it is withheld when fewer than $min_group champions are in scope.
SELECT CASE WHEN sum(champions) >= $min_group AND sum(coalesce(posts, 0) + coalesce(replies, 0)) > 0
            THEN coalesce(sum(champion_contributions), 0) / sum(coalesce(posts, 0) + coalesce(replies, 0))
       END AS share
FROM scoped_rollup($month, $month, $departments, $regions, $units, $min_group, as_then := $as_then) o JOIN month_status s USING (month)
WHERE tool = '*' AND s.has_activity AND s.champions_month IS NOT NULL;
