-- Version 11: departments as organised today (docs/metrics.md#departments-as-organised-today).
-- departments: the renames and mergers recorded by departments.csv uploads (docs/formats.md#departments): from
-- `month` on, department `from_department` is called `to_department`. Several rows of one month with the same
-- to_department are a merger. An upload of it replaces the renames of the months it names; undo brings them back.
CREATE TABLE departments (upload_id INTEGER, month DATE, from_department VARCHAR, to_department VARCHAR);
CREATE VIEW live_departments AS
    SELECT d.* FROM departments d
    JOIN live_slices s ON s.upload_id = d.upload_id AND s.kind = 'departments' AND s.month = d.month;
-- department_names: today's name of a department as a roster of a month named it, derived from the live renames at
-- every refresh (queries/departments.py, today_names): a roster of a month from since_month (NULL: any earlier
-- month) up to, not including, until_month that names `department` names the department called `today` now.
-- A handful of rows: one per rename recorded.
CREATE TABLE department_names (department VARCHAR, since_month DATE, until_month DATE, today VARCHAR);
-- department_today: per month held, each department on that month's roster (carried forward or not) that is called
-- otherwise today, with today's name. The scoped source (queries/scope.sql) shows departments through it.
CREATE VIEW department_today AS
    SELECT m.month, n.department, n.today
    FROM month_status m
    JOIN department_names n ON m.roster_month < n.until_month
                           AND (n.since_month IS NULL OR m.roster_month >= n.since_month);
