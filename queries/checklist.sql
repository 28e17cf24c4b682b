-- Checklist answers: an answer given for month M holds for M and later months until it is changed.

-- name: answers_as_of
SELECT criterion, answer, note, who, strftime(answered_at, '%Y-%m-%d %H:%M') AS answered_at,
    strftime(month, '%Y-%m') AS answered_for
FROM live_checklist
WHERE month <= $month
QUALIFY row_number() OVER (PARTITION BY criterion ORDER BY month DESC, answered_at DESC, upload_id DESC) = 1
ORDER BY criterion;
