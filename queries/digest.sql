-- The monthly digest's reads and its one write: when a month is complete, and who was sent which month's digest.
-- Sends are audit events (ledger_events, with no upload), so the Data page's audit trail lists them.

-- name: latest_month
-- The latest month any upload holds data for (checklist answers aside: they hold until changed, so they say
-- nothing about whether a month's exports are in).
SELECT max(month) AS month FROM live_slices WHERE kind <> 'checklist';

-- name: expected_kinds
-- Every kind (and tool) that the last month held before $month had, and whether $month has it too. A month is
-- complete when it has them all (docs/deploy.md#monthly-digest). Checklist answers are left out, as above.
WITH earlier AS (
    SELECT max(month) AS month FROM live_slices WHERE month < $month AND kind <> 'checklist'
), expected AS (
    SELECT DISTINCT kind, tool FROM live_slices
    WHERE month = (SELECT month FROM earlier) AND kind <> 'checklist'
), present AS (
    SELECT DISTINCT kind, tool FROM live_slices WHERE month = $month
)
SELECT (SELECT month FROM earlier) AS compared_with, e.kind, e.tool, p.kind IS NOT NULL AS present
FROM expected e LEFT JOIN present p ON p.kind = e.kind AND p.tool = e.tool
ORDER BY e.kind, e.tool;

-- name: sent
-- The recipients (as peppered keys, never addresses) a month's digest was sent to, with when.
SELECT substr(detail, length($prefix) + 1) AS recipient_key, max(happened_at) AS sent_at
FROM ledger_events
WHERE action = 'digest sent' AND starts_with(detail, $prefix)
GROUP BY ALL;

-- name: record_sent
INSERT INTO ledger_events
SELECT coalesce((SELECT max(event_id) FROM ledger_events), 0) + 1, NULL, 'digest sent', $who, current_timestamp,
       $detail;
