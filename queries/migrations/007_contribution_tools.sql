-- Version 7: which tools hold contribution data (posts or replies) in each month, and the ledger's notes.
-- The older Teams user activity export (before March 2022) has no posts or replies: a month whose Teams activity
-- comes from it has no Teams contribution data (docs/metrics.md#contribution-data).
-- refresh-rollups: existing warehouses recompute their rollups once after this migration.
-- month_status.contribution_tools: the tools whose activity in the month reports posts or replies for at least one
-- person; [] without activity. Appended after active_communities (the rollup INSERT is positional).
ALTER TABLE month_status ADD COLUMN contribution_tools VARCHAR[];
-- uploads.notes: what the preview said about the file beyond its figures (rows skipped, posts and replies missing),
-- so that the ledger says it too. Appended after status (the INSERT into uploads is positional).
ALTER TABLE uploads ADD COLUMN notes VARCHAR;
