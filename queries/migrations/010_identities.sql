-- Version 10: one person across e-mail changes (docs/metrics.md#identity).
-- identity_key: a stable id of the person read beside the address (the Entra object id of the Entra user list and
-- of Teams' `User Id`, an HR employee number), pseudonymised as '<namespace>:' || sha256(pepper || '<namespace>:' ||
-- lower(trim(id))), never raw. NULL where the file carries none.
-- refresh-rollups: existing warehouses recompute their rollups once, through the views below.
DELETE FROM rollup_sources;
ALTER TABLE roster ADD COLUMN identity_key VARCHAR;
ALTER TABLE activity ADD COLUMN identity_key VARCHAR;
ALTER TABLE devices ADD COLUMN identity_key VARCHAR;
-- The canonical identity_changes.csv: from `month` on, the person at old_key is at new_key.
CREATE TABLE identity_changes (upload_id INTEGER, month DATE, old_key VARCHAR, new_key VARCHAR);
-- Every address linked to another one, with the person key the rollups count it under (the earliest-seen address of
-- its person). Recomputed from the live links by queries/identities.py inside every refresh; an address that is
-- its own person has no row.
CREATE TABLE person_alias (person_key VARCHAR, canonical_key VARCHAR);

-- The per-person views now give each row its person's key. The raw address key stays in the tables (erasure and the
-- links read it there); the rollups read the views.
CREATE OR REPLACE VIEW live_roster AS
    SELECT r.* REPLACE (coalesce(a.canonical_key, r.person_key) AS person_key), r.person_key AS raw_key FROM roster r
    JOIN live_slices s ON s.upload_id = r.upload_id AND s.kind = 'roster' AND s.month = r.month
    LEFT JOIN person_alias a ON a.person_key = r.person_key;
CREATE OR REPLACE VIEW live_activity AS
    SELECT x.* REPLACE (coalesce(a.canonical_key, x.person_key) AS person_key) FROM activity x
    JOIN live_slices s ON s.upload_id = x.upload_id AND s.kind = 'activity' AND s.tool = x.tool AND s.month = x.month
    LEFT JOIN person_alias a ON a.person_key = x.person_key;
CREATE OR REPLACE VIEW live_devices AS
    SELECT d.* REPLACE (coalesce(a.canonical_key, d.person_key) AS person_key) FROM devices d
    JOIN live_slices s ON s.upload_id = d.upload_id AND s.kind = 'devices' AND s.tool = d.tool AND s.month = d.month
    LEFT JOIN person_alias a ON a.person_key = d.person_key;
CREATE OR REPLACE VIEW live_champions AS
    SELECT c.* REPLACE (coalesce(a.canonical_key, c.person_key) AS person_key) FROM champions c
    JOIN live_slices s ON s.upload_id = c.upload_id AND s.kind = 'champions' AND s.month = c.month
    LEFT JOIN person_alias a ON a.person_key = c.person_key;
CREATE OR REPLACE VIEW live_training AS
    SELECT t.* REPLACE (coalesce(a.canonical_key, t.person_key) AS person_key) FROM training t
    JOIN live_slices s ON s.upload_id = t.upload_id AND s.kind = 'training' AND s.month = t.month
    LEFT JOIN person_alias a ON a.person_key = t.person_key;
CREATE VIEW live_identity_changes AS
    SELECT i.* FROM identity_changes i
    JOIN live_slices s ON s.upload_id = i.upload_id AND s.kind = 'identity_changes' AND s.month = i.month;
