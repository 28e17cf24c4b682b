-- The monthly digest's reads and its one write: when a month is complete, and who was sent which month's digest.
-- Sends are audit events (ledger_events, with no upload), so the Data page's audit trail lists them.

-- name: latest_month
-- The latest month any upload holds data for (checklist answers aside: they hold until changed, so they say
-- nothing about whether a month's exports are in).
SELECT max(month) AS month FROM live_slices WHERE kind NOT IN ('checklist', 'initiatives', 'targets');

-- name: expected_kinds
-- Every kind (and tool) that the last month held before $month had, and whether $month has it too. A month is
-- complete when it has them all (docs/deploy.md#monthly-digest). Checklist answers are left out, as above. The
-- roster and the champion register carry forward and training counts for 12 months (docs/metrics.md#carry-forward),
-- so $month has them when month_status says a slice covers it: a roster uploaded each quarter leaves the months
-- between complete.
WITH earlier AS (
    SELECT max(month) AS month FROM live_slices WHERE month < $month AND kind NOT IN ('checklist', 'initiatives', 'targets')
), expected AS (
    SELECT DISTINCT kind, tool FROM live_slices
    WHERE month = (SELECT month FROM earlier) AND kind NOT IN ('checklist', 'initiatives', 'targets')
), present AS (
    SELECT DISTINCT kind, tool FROM live_slices WHERE month = $month
), covered AS (
    SELECT roster_month IS NOT NULL AS roster, champions_month IS NOT NULL AS champions,
        coalesce(has_training, false) AS training
    FROM month_status WHERE month = $month
)
SELECT (SELECT month FROM earlier) AS compared_with, e.kind, e.tool,
    p.kind IS NOT NULL
        OR (e.kind = 'roster' AND coalesce((SELECT roster FROM covered), false))
        OR (e.kind = 'champions' AND coalesce((SELECT champions FROM covered), false))
        OR (e.kind = 'training' AND coalesce((SELECT training FROM covered), false)) AS present
FROM expected e LEFT JOIN present p ON p.kind = e.kind AND p.tool IS NOT DISTINCT FROM e.tool
ORDER BY e.kind, e.tool;

-- name: sent
-- The recipients (as peppered keys, never addresses) a month's digest was sent to, with when.
SELECT substr(detail, length($prefix) + 1) AS recipient_key, max(happened_at) AS sent_at
FROM ledger_events
WHERE action = 'digest sent' AND starts_with(detail, $prefix)
GROUP BY ALL;

-- name: claims
-- The recipients a run is mailing a month's digest to right now: each run claims its recipients in one write
-- transaction before it mails them, and gives the claims up when it has done. A claim is bookkeeping of a send in
-- flight, not history, so it lives in meta (key `digest claim YYYY-MM <recipient key>`, value the claim's time in
-- epoch seconds) rather than in the audit trail, and moves no data version. $expiry_seconds: a claim older than
-- that was left by a run that stopped, and no longer counts (docs/deploy.md#monthly-digest).
SELECT substr(key, length($claim_prefix) + 1) AS recipient_key,
    make_timestamp(CAST(CAST(value AS DOUBLE) * 1000000 AS BIGINT)) AS claimed_at
FROM meta
WHERE starts_with(key, $claim_prefix)
  AND CAST(value AS DOUBLE) > epoch(current_timestamp) - $expiry_seconds;

-- name: claim
-- Claim one recipient, after `release` of the same key (a claim that expired); inside the transaction that read
-- `sent` and `claims`.
INSERT INTO meta VALUES ($key, CAST(epoch(current_timestamp) AS VARCHAR));

-- name: release
DELETE FROM meta WHERE key = $key;

-- name: record_sent
INSERT INTO ledger_events
SELECT coalesce((SELECT max(event_id) FROM ledger_events), 0) + 1, NULL, 'digest sent', $who,
       current_timestamp AT TIME ZONE 'UTC',  -- stored as UTC whatever the server's time zone (uploads.NOW_UTC)
       $detail;
