-- Version 13: steering (docs/metrics.md#initiative-effect, docs/metrics.md#targets).
-- initiatives: what champions and admins started, from initiatives.csv uploads or the Data page's form (one row
-- each, docs/formats.md#initiatives). `month` is the start month; an empty `departments` list is the whole
-- organisation. An upload replaces the initiative of the same name, whatever its start; undo brings it back.
CREATE TABLE initiatives (upload_id INTEGER, month DATE, name VARCHAR, end_month DATE, departments VARCHAR[],
                          note VARCHAR);
CREATE VIEW live_initiatives AS
    SELECT i.* FROM initiatives i
    JOIN live_slices s ON s.upload_id = i.upload_id AND s.kind = 'initiatives' AND s.month = i.month
                      AND s.tool = i.name;
-- targets: a metric's value to reach by a month (`month`), for the whole organisation (department NULL) or one
-- department (docs/formats.md#targets). An upload replaces the target of the same metric, department and month.
CREATE TABLE targets (upload_id INTEGER, month DATE, metric VARCHAR, value DOUBLE, department VARCHAR);
CREATE VIEW live_targets AS
    SELECT t.* FROM targets t
    JOIN live_slices s ON s.upload_id = t.upload_id AND s.kind = 'targets' AND s.month = t.month
                      AND s.tool = t.metric || '|' || coalesce(t.department, '');
