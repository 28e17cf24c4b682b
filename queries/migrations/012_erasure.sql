-- Version 12: the erasure list (docs/metrics.md#erasure). One row per erased person key: sha256('erased:' || key),
-- a one-way hash, never the key itself, so no table still holds an erased id. Every import drops the rows whose
-- person key hashes to one of these, and a restore re-applies the list. label_digest: sha256('erased label:' ||
-- the key's first 10 characters), the short hash audit labels and digest recipients are named by
-- (access.label_for), so an erased person's label is found and blanked again after a restore.
-- erased_at: when (UTC).
CREATE TABLE erased_people (digest VARCHAR, label_digest VARCHAR, erased_at TIMESTAMP);
