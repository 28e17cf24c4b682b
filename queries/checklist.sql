-- Checklist answers: an answer given for month M holds for M and later months until it is changed.

-- name: answers_as_of
-- For every calendar month from $from_month to $to_month (as_of), the answer holding for each criterion: the
-- latest given for that month or an earlier one. One query for a range: the stage history needs every month's.
WITH months AS (
    SELECT CAST(generate_series AS DATE) AS as_of
    FROM generate_series(CAST($from_month AS TIMESTAMP), CAST($to_month AS TIMESTAMP), INTERVAL 1 MONTH)
)
SELECT m.as_of, c.criterion, c.answer, c.note, c.who, strftime(c.answered_at, '%Y-%m-%d %H:%M') AS answered_at,
    strftime(c.month, '%Y-%m') AS answered_for
FROM months m
JOIN live_checklist c ON c.month <= m.as_of
QUALIFY row_number() OVER (PARTITION BY m.as_of, c.criterion
                           ORDER BY c.month DESC, c.upload_id DESC) = 1  -- ids only grow; clocks and zones vary
ORDER BY m.as_of, c.criterion;
