-- Version 8: column mappings, so any HR export can be read as a roster (docs/formats.md#other-hr-exports).
-- The champion maps a file's columns once on the Data page; the mapping is kept here, where the server and the
-- command line both find it, and is offered again for a file with the same header signature.
-- name: the champion's name for it (unique without regard to case; saving under a name replaces that mapping).
-- signature: sha256 of the file's header names, normalised and sorted (queries/imports/mapping.py).
-- headers: that file's header as a JSON list; columns: JSON object of roster field → the file's header for it.
-- Column names only: no cell of the file is kept. Saving is recorded in ledger_events ('mapping saved').
CREATE TABLE column_mappings (
    name VARCHAR, signature VARCHAR, headers VARCHAR, columns VARCHAR, saved_by VARCHAR, saved_at TIMESTAMP
);
