-- Version 3: posts and replies written by champions, for the CoE-pitfall signal.
-- refresh-rollups: existing warehouses recompute their rollups once after this migration.
ALTER TABLE org_rollup ADD COLUMN champion_contributions BIGINT;
