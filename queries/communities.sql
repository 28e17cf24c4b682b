-- Community health (docs/metrics.md#community-health), read from the live community rows of the communities
-- uploads. These rows are one per community, tool and month, never per person, so the family reads them directly,
-- as the alignment family reads the KPI rows: their number grows with communities x months, not with people.
-- $tool NULL = every tool. Communities belong to no department, so the business unit, region and department
-- filters never apply. A community with fewer than $min_group members, or without a member count, keeps only its
-- tool and status (it is counted in the totals); its name and figures are NULL so that nothing can list it.

-- name: held_months
-- The months from $from_month to $to_month that hold communities data for the tool (any tool when $tool is NULL).
SELECT DISTINCT month FROM live_slices
WHERE kind = 'communities' AND month BETWEEN $from_month AND $to_month AND ($tool IS NULL OR tool = $tool)
ORDER BY month;

-- name: by_month
-- Per community and month from $detail_from to $to_month: its status and figures; per month and status from
-- $from_month to before $detail_from: how many communities (a page's trend needs no more, and an organisation with
-- thousands of channels would otherwise send every one of every month to Python). Earlier months are read too, so
-- that the months without posts are counted over the whole history held.
WITH held AS (
    SELECT month, tool, community, members, coalesce(posts, 0) AS posts, reads, reactions,
        year(month) * 12 + month(month) AS month_index
    FROM live_communities
    WHERE month <= $to_month AND ($tool IS NULL OR tool = $tool)
),
previous AS (
    SELECT *, lag(month_index) OVER (PARTITION BY tool, community ORDER BY month) AS previous_index FROM held
),
runs AS (
    -- A run of months with no posts continues only from the month just before, in which the community has a row:
    -- rows exist only in months that hold the tool's communities data, so a month without that data, or a
    -- community missing from the previous month's upload (new, or renamed), starts a new run.
    SELECT *, sum(CASE WHEN posts > 0 OR previous_index IS DISTINCT FROM month_index - 1 THEN 1 ELSE 0 END)
        OVER (PARTITION BY tool, community ORDER BY month ROWS UNBOUNDED PRECEDING) AS run
    FROM previous
),
silent AS (
    SELECT *, CASE WHEN posts = 0 THEN sum(CASE WHEN posts = 0 THEN 1 ELSE 0 END)
        OVER (PARTITION BY tool, community, run ORDER BY month ROWS UNBOUNDED PRECEDING) ELSE 0 END AS silent_months
    FROM runs
),
statuses AS (
    SELECT *, CASE WHEN posts > 0 THEN 'active' WHEN silent_months >= 2 THEN 'dormant' ELSE 'quiet' END AS status
    FROM silent
    WHERE month BETWEEN $from_month AND $to_month
)
SELECT month, tool, status, 1 AS communities,
    coalesce(members >= $min_group, false) AS listed,
    CASE WHEN members >= $min_group THEN community END AS community,
    CASE WHEN members >= $min_group THEN members END AS members,
    CASE WHEN members >= $min_group THEN posts END AS posts,
    CASE WHEN members >= $min_group THEN reads END AS reads,
    CASE WHEN members >= $min_group THEN reactions END AS reactions,
    CASE WHEN members >= $min_group THEN posts / nullif(members, 0) END AS posts_per_member,
    CASE WHEN members >= $min_group THEN reads / nullif(members, 0) END AS reads_per_member,
    CASE WHEN members >= $min_group THEN silent_months END AS silent_months
FROM statuses
WHERE month >= $detail_from
UNION ALL
SELECT month, NULL, status, count(*), false, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM statuses
WHERE month < $detail_from
GROUP BY month, status
ORDER BY month, tool, community;
