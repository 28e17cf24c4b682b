-- Version 1: the upload ledger, canonical tables (one row per upload slice), and the rollups pages read.
-- No column holds an email, UPN or name: people are person_key = sha256(pepper || lower(trim(id))).
CREATE TABLE meta (key VARCHAR, value VARCHAR);

-- One row per upload. status: active, replaced (all its months replaced by later uploads), undone.
CREATE TABLE uploads (
    upload_id INTEGER, kind VARCHAR, source VARCHAR, file_name VARCHAR, sha256 VARCHAR,
    months VARCHAR, row_count INTEGER, matched INTEGER, unmapped INTEGER,
    uploaded_by VARCHAR, uploaded_at TIMESTAMP, status VARCHAR
);
-- What each upload holds, per (kind, tool, month). Only 'active' slices feed the views below.
CREATE TABLE upload_slices (
    upload_id INTEGER, kind VARCHAR, tool VARCHAR, month DATE, state VARCHAR, row_count INTEGER
);
-- The audit trail: uploaded, replaced, undone, restored, answered; with who and when.
CREATE TABLE ledger_events (
    event_id INTEGER, upload_id INTEGER, action VARCHAR, who VARCHAR, happened_at TIMESTAMP, detail VARCHAR
);

CREATE TABLE roster (
    upload_id INTEGER, month DATE, person_key VARCHAR,
    department VARCHAR, region VARCHAR, business_unit VARCHAR, level VARCHAR
);
CREATE TABLE activity (
    upload_id INTEGER, month DATE, person_key VARCHAR, tool VARCHAR, concealed BOOLEAN,
    posts BIGINT, replies BIGINT, reactions BIGINT, reads BIGINT, other_actions BIGINT, active_days BIGINT
);
CREATE TABLE communities (
    upload_id INTEGER, month DATE, tool VARCHAR, community VARCHAR,
    members BIGINT, posts BIGINT, reads BIGINT, reactions BIGINT
);
CREATE TABLE champions (
    upload_id INTEGER, month DATE, person_key VARCHAR, department VARCHAR, role VARCHAR
);
CREATE TABLE training (
    upload_id INTEGER, month DATE, date DATE, program VARCHAR, person_key VARCHAR
);
CREATE TABLE kpis (
    upload_id INTEGER, month DATE, kpi VARCHAR, department VARCHAR, value DOUBLE, target DOUBLE,
    unit VARCHAR, higher_is_better BOOLEAN, objective VARCHAR
);
CREATE TABLE checklist (
    upload_id INTEGER, month DATE, criterion VARCHAR, answer BOOLEAN, note VARCHAR,
    who VARCHAR, answered_at TIMESTAMP
);

CREATE VIEW live_slices AS SELECT * FROM upload_slices WHERE state = 'active';
CREATE VIEW live_roster AS
    SELECT r.* FROM roster r JOIN live_slices s ON s.upload_id = r.upload_id AND s.kind = 'roster' AND s.month = r.month;
CREATE VIEW live_activity AS
    SELECT a.* FROM activity a
    JOIN live_slices s ON s.upload_id = a.upload_id AND s.kind = 'activity' AND s.tool = a.tool AND s.month = a.month;
CREATE VIEW live_communities AS
    SELECT c.* FROM communities c
    JOIN live_slices s ON s.upload_id = c.upload_id AND s.kind = 'communities' AND s.tool = c.tool AND s.month = c.month;
CREATE VIEW live_champions AS
    SELECT c.* FROM champions c JOIN live_slices s ON s.upload_id = c.upload_id AND s.kind = 'champions' AND s.month = c.month;
CREATE VIEW live_training AS
    SELECT t.* FROM training t JOIN live_slices s ON s.upload_id = t.upload_id AND s.kind = 'training' AND s.month = t.month;
CREATE VIEW live_kpis AS
    SELECT k.* FROM kpis k JOIN live_slices s ON s.upload_id = k.upload_id AND s.kind = 'kpis' AND s.month = k.month;
CREATE VIEW live_checklist AS
    SELECT c.* FROM checklist c JOIN uploads u ON u.upload_id = c.upload_id AND u.status <> 'undone';

-- Rollups, refreshed at import for the months an upload affects.
-- month_status: which data each month has, and where carried-forward data comes from.
CREATE TABLE month_status (
    month DATE, roster_month DATE, champions_month DATE, has_activity BOOLEAN, tools VARCHAR[],
    has_communities BOOLEAN, has_kpis BOOLEAN, has_training BOOLEAN,
    activity_people BIGINT, unmapped_people BIGINT, concealed_people BIGINT
);
-- person_month: one row per roster person per month, touched only at import.
CREATE TABLE person_month (
    month DATE, person_key VARCHAR, department VARCHAR, region VARCHAR, business_unit VARCHAR, level VARCHAR,
    active BOOLEAN, contributor BOOLEAN, creator BOOLEAN, posts BIGINT, replies BIGINT, reactions BIGINT,
    tools STRUCT(tool VARCHAR, contributor BOOLEAN, creator BOOLEAN, posts BIGINT, replies BIGINT, reactions BIGINT)[],
    is_new BOOLEAN, is_returning BOOLEAN, is_lapsed BOOLEAN, is_champion BOOLEAN, trained_12m BOOLEAN
);
-- org_rollup: month x org unit x tool ('*' = any tool). Pages, the rubric and the CLI read this.
CREATE TABLE org_rollup (
    month DATE, department VARCHAR, region VARCHAR, business_unit VARCHAR, level VARCHAR, tool VARCHAR,
    headcount BIGINT, active BIGINT, contributors BIGINT, creators BIGINT,
    posts BIGINT, replies BIGINT, reactions BIGINT,
    newcomers BIGINT, returners BIGINT, lapsed BIGINT, champions BIGINT, trained_12m BIGINT
);
