-- Version 6: person_month no longer keeps a list of tools per person. The per-tool rows of org_rollup are counted
-- from the activity rows at import (rollups.insert_org_rollup_tools), which costs far less than building a list for
-- every person of the month.
ALTER TABLE person_month DROP COLUMN tools;
