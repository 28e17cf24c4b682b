-- Version 12: the erasure list (docs/metrics.md#erasure). One row per erased person key: sha256('erased:' || key),
-- a one-way hash, never the key itself, so no table still holds an erased id. Every import drops the rows whose
-- person key hashes to one of these, and a restore re-applies the list. erased_at: when (UTC), for the audit.
CREATE TABLE erased_people (digest VARCHAR, erased_at TIMESTAMP);
