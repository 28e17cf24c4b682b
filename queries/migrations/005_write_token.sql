-- Version 5: the write token. Every write transaction bumps this row first, so on DuckLake any two concurrent
-- writers conflict and one runs again, instead of both committing the same max + 1 upload id.
INSERT INTO meta VALUES ('write_seq', '0');
