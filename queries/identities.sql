-- Identity links (docs/metrics.md#identity), read by queries/identities.py inside a refresh's transaction.

-- name: edges
-- Every live link: (address key, the id or address it is linked to, the month it is seen, order within the month).
-- An id beside an address on a roster, in Teams' user activity or device usage; an address change from
-- identity_changes.csv (the old address counts as seen before the new one). The base tables are read, not the
-- live_* views, which already give each row its person's key.
WITH ids AS (
    SELECT r.person_key, r.identity_key, r.month FROM roster r
    JOIN live_slices s ON s.upload_id = r.upload_id AND s.kind = 'roster' AND s.month = r.month
    WHERE r.identity_key IS NOT NULL
    UNION ALL
    SELECT a.person_key, a.identity_key, a.month FROM activity a
    JOIN live_slices s ON s.upload_id = a.upload_id AND s.kind = 'activity' AND s.tool = a.tool AND s.month = a.month
    WHERE a.identity_key IS NOT NULL
    UNION ALL
    SELECT d.person_key, d.identity_key, d.month FROM devices d
    JOIN live_slices s ON s.upload_id = d.upload_id AND s.kind = 'devices' AND s.tool = d.tool AND s.month = d.month
    WHERE d.identity_key IS NOT NULL
),
links AS (
    SELECT person_key, identity_key, min(month) AS month, 1 AS ord FROM ids GROUP BY ALL
    UNION ALL
    SELECT old_key, new_key, month, 0 FROM live_identity_changes WHERE old_key <> new_key
    UNION ALL
    SELECT address, other, month, ord FROM file_links  -- a pending file's links, in a preview
),
-- An address and an id that have no other neighbour are a person with one address and one id: they join no one
-- and clash with nothing, and most people are just that. Address changes and the links of a key with two or more
-- neighbours go on to the union-find (queries/identities.py), which then holds only the people who need it.
ends AS (SELECT person_key AS node, identity_key AS other FROM links UNION SELECT identity_key, person_key FROM links),
shared AS (SELECT node FROM ends GROUP BY node HAVING count(*) > 1)
SELECT * FROM links
WHERE ord = 0 OR person_key IN (SELECT node FROM shared) OR identity_key IN (SELECT node FROM shared);

-- name: links_changed
-- Whether a refresh's changed slices (rollup_changes) may change a link: an address change was uploaded or taken
-- back, or the new or the replaced rows of a changed roster, activity or device slice carry an id. Most exports
-- carry none (Viva Engage, Slack, a roster without person_id), and then no link can have changed.
WITH touched AS (
    SELECT s.upload_id, c.kind, c.tool, c.month FROM rollup_changes c
    JOIN live_slices s ON s.kind = c.kind AND s.tool = c.tool AND s.month = c.month
    UNION
    SELECT r.upload_id, c.kind, c.tool, c.month FROM rollup_changes c
    JOIN rollup_sources r ON r.kind = c.kind AND r.tool = c.tool AND r.month = c.month
)
SELECT EXISTS (SELECT 1 FROM touched WHERE kind = 'identity_changes')
    OR EXISTS (SELECT 1 FROM roster x JOIN touched t ON t.kind = 'roster' AND t.upload_id = x.upload_id
               AND t.month = x.month WHERE x.identity_key IS NOT NULL)
    OR EXISTS (SELECT 1 FROM activity x JOIN touched t ON t.kind = 'activity' AND t.upload_id = x.upload_id
               AND t.tool = x.tool AND t.month = x.month WHERE x.identity_key IS NOT NULL)
    OR EXISTS (SELECT 1 FROM devices x JOIN touched t ON t.kind = 'devices' AND t.upload_id = x.upload_id
               AND t.tool = x.tool AND t.month = x.month WHERE x.identity_key IS NOT NULL);

-- name: moved
-- The addresses whose person key changes: linked, unlinked or given another person.
CREATE OR REPLACE TEMP TABLE alias_moved AS
SELECT coalesce(n.person_key, o.person_key) AS person_key
FROM alias_new n FULL JOIN person_alias o ON o.person_key = n.person_key
WHERE n.canonical_key IS DISTINCT FROM o.canonical_key;

-- name: replace_alias
DELETE FROM person_alias WHERE person_key IN (SELECT person_key FROM alias_moved);

-- name: insert_alias
INSERT INTO person_alias
SELECT person_key, canonical_key FROM alias_new WHERE person_key IN (SELECT person_key FROM alias_moved);

-- name: mark_changes
-- Every live slice that holds a moved address is recounted, as if it had been uploaded again: the rollups' own
-- rules then say which months that touches (a roster's months it carries to, training's twelve, the month after).
INSERT INTO rollup_changes
SELECT DISTINCT kind, tool, month FROM (
    SELECT 'roster' AS kind, '' AS tool, r.month FROM roster r
    JOIN live_slices s ON s.upload_id = r.upload_id AND s.kind = 'roster' AND s.month = r.month
    WHERE r.person_key IN (SELECT person_key FROM alias_moved)
    UNION ALL
    SELECT 'activity', a.tool, a.month FROM activity a
    JOIN live_slices s ON s.upload_id = a.upload_id AND s.kind = 'activity' AND s.tool = a.tool AND s.month = a.month
    WHERE a.person_key IN (SELECT person_key FROM alias_moved)
    UNION ALL
    SELECT 'devices', d.tool, d.month FROM devices d
    JOIN live_slices s ON s.upload_id = d.upload_id AND s.kind = 'devices' AND s.tool = d.tool AND s.month = d.month
    WHERE d.person_key IN (SELECT person_key FROM alias_moved)
    UNION ALL
    SELECT 'champions', '', c.month FROM champions c
    JOIN live_slices s ON s.upload_id = c.upload_id AND s.kind = 'champions' AND s.month = c.month
    WHERE c.person_key IN (SELECT person_key FROM alias_moved)
    UNION ALL
    SELECT 'training', '', t.month FROM training t
    JOIN live_slices s ON s.upload_id = t.upload_id AND s.kind = 'training' AND s.month = t.month
    WHERE t.person_key IN (SELECT person_key FROM alias_moved)
)
EXCEPT SELECT kind, tool, month FROM rollup_changes;

-- name: person_keys
-- Every key of the person an address key belongs to (docs/metrics.md#identity): the key itself, its person's key,
-- every address linked to that person, and the ids seen beside any of them. Erasure removes them all.
WITH person AS (
    SELECT coalesce((SELECT canonical_key FROM person_alias WHERE person_key = $key), $key) AS key
),
addresses AS (
    SELECT $key AS key
    UNION SELECT key FROM person
    UNION SELECT person_key FROM person_alias WHERE canonical_key = (SELECT key FROM person)
)
SELECT key FROM addresses
UNION SELECT identity_key FROM roster WHERE person_key IN (SELECT key FROM addresses) AND identity_key IS NOT NULL
UNION SELECT identity_key FROM activity WHERE person_key IN (SELECT key FROM addresses) AND identity_key IS NOT NULL
UNION SELECT identity_key FROM devices WHERE person_key IN (SELECT key FROM addresses) AND identity_key IS NOT NULL;
