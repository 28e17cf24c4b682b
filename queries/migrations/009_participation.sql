-- Version 9: participation segments, habits, stickiness and cohort retention (docs/metrics.md#participation).
-- refresh-rollups: existing warehouses recompute their rollups once after this migration, so the new columns and
-- tables are filled for every month already held.
DELETE FROM rollup_sources;
-- person_month.segment: creator, responder, observer or inactive; NULL when the month holds no activity or no tool
-- reports posts or replies (then the segments cannot be told apart). Appended after `mobile` (the INSERT is
-- positional).
ALTER TABLE person_month ADD COLUMN segment VARCHAR;
-- org_rollup, any-tool rows only (NULL on per-tool rows), appended in this order after champion_contributions:
-- responders and observers (creators are already counted), habitual (active in the month and the two before, NULL
-- unless all three hold activity) and active_12m (active in at least one held month of the 12 ending with it; the
-- denominator of stickiness).
ALTER TABLE org_rollup ADD COLUMN responders BIGINT;
ALTER TABLE org_rollup ADD COLUMN observers BIGINT;
ALTER TABLE org_rollup ADD COLUMN habitual BIGINT;
ALTER TABLE org_rollup ADD COLUMN active_12m BIGINT;
-- segment_moves: per month and org unit (as on that month's roster), the people on both that month's and the
-- previous month's roster, by their segment then and now. Months where either has no segments have no rows.
CREATE TABLE segment_moves (
    month DATE, department VARCHAR, region VARCHAR, business_unit VARCHAR, level VARCHAR,
    from_segment VARCHAR, to_segment VARCHAR, people BIGINT
);
-- cohort_rollup: the people first counted active in `cohort` (its newcomers), by their org unit in that month,
-- counted active in `month` (cohort <= month). The row with month = cohort holds the cohort's size.
CREATE TABLE cohort_rollup (
    cohort DATE, month DATE, department VARCHAR, region VARCHAR, business_unit VARCHAR, level VARCHAR,
    people BIGINT
);
