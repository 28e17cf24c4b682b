-- Version 4: incremental rollup refresh, so that an import recomputes only the months it affects.
-- rollup_sources: the live upload slices the rollups were last computed from. A refresh compares them with
-- live_slices to find what changed since. A later migration that changes what the rollups hold empties this
-- table (DELETE FROM rollup_sources) and says refresh-rollups: the refresh then recomputes every month.
-- refresh-rollups: existing warehouses recompute their rollups once after this migration.
CREATE TABLE rollup_sources (upload_id INTEGER, kind VARCHAR, tool VARCHAR, month DATE);
-- first_active: each person's first month counted active (on that month's roster and active), which makes them
-- `new` in that month. Kept at import so that a refresh never rescans every month of person_month.
CREATE TABLE first_active (person_key VARCHAR, first_month DATE);
-- Per month, what the headline metrics read besides org_rollup, so that they never scan the KPI or community rows:
-- the share of whole-organisation KPIs with a target that are on target, and the active communities per tool
-- ('*' = any tool). Appended in this order (the rollup INSERT is positional).
ALTER TABLE month_status ADD COLUMN kpis_on_target_share DOUBLE;
ALTER TABLE month_status ADD COLUMN active_communities MAP(VARCHAR, BIGINT);
-- department_kpis: department-level KPI rows beside their department's headcount and active people (NULL when the
-- month has no activity), for the alignment breakdowns and the rank correlation.
CREATE TABLE department_kpis (
    month DATE, kpi VARCHAR, department VARCHAR, value DOUBLE, higher_is_better BOOLEAN, unit VARCHAR,
    headcount BIGINT, active BIGINT
);
-- kpi_correlations: per month and department-level KPI, the rank correlation between the KPI and adoption across
-- departments, for every minimum group size: a row counts the departments of at least group_ceiling people and
-- answers any minimum group size above group_floor (the next smaller department size; NULL: no smaller one)
-- and up to group_ceiling.
CREATE TABLE kpi_correlations (
    month DATE, kpi VARCHAR, group_floor BIGINT, group_ceiling BIGINT, departments BIGINT, correlation DOUBLE
);
