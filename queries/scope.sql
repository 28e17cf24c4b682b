-- The one scoped, suppressed source that every metric family selects from, and the rates defined once.
-- queries/warehouse.opened creates these macros on every cursor (they are TEMP: one set per connection), so no
-- query can read the org rollup for a scope without the minimum group size applied (docs/metrics.md#minimum-group-size).
-- Filters: departments, regions, units are VARCHAR[] or NULL (= all). A metric family passes its named parameters
-- straight through: scoped_rollup($from_month, $to_month, $departments, $regions, $units, $min_group,
-- as_then := $as_then).
-- Departments are shown as organised today unless as_then (docs/metrics.md#departments-as-organised-today): every
-- source below names a department by today's name (department_today, migration 011) and selects by that name, so
-- the parts of a merger count as one department, and the minimum group size applies to the merged group.

-- name: chosen
-- Whether an org unit is one the sidebar's filters select (NULL filter = all). Every scoped source below uses it.
CREATE OR REPLACE TEMP MACRO chosen(departments, regions, units, department, region, business_unit) AS
    (departments IS NULL OR list_contains(departments, department))
    AND (regions IS NULL OR list_contains(regions, region))
    AND (units IS NULL OR list_contains(units, business_unit));

-- name: shown_department
-- A department as the pages show it: its name on the month's roster when as_then, else today's name (`today` is
-- department_today's, NULL when the department is called the same today).
CREATE OR REPLACE TEMP MACRO shown_department(department, today, as_then) AS
    CASE WHEN as_then THEN department ELSE coalesce(today, department) END;

-- name: in_scope
-- The rollup rows the sidebar's filters select, before suppression, with departments as shown. Only the macros
-- below read it.
CREATE OR REPLACE TEMP MACRO in_scope(from_month, to_month, departments, regions, units, as_then := false) AS TABLE
SELECT o.* REPLACE (shown_department(o.department, t.today, as_then) AS department)
FROM org_rollup o LEFT JOIN department_today t ON t.month = o.month AND t.department = o.department
WHERE o.month BETWEEN from_month AND to_month
  AND chosen(departments, regions, units, shown_department(o.department, t.today, as_then), o.region,
             o.business_unit);

-- name: scoped_rollup
-- The rows of every month whose scope holds at least min_group people. A month whose scope is smaller has no rows
-- at all, so every figure about it is NULL ("withheld") in every family: tiles, sentences, charts and downloads.
CREATE OR REPLACE TEMP MACRO scoped_rollup(from_month, to_month, departments, regions, units, min_group,
                                           as_then := false) AS TABLE
SELECT * FROM in_scope(from_month, to_month, departments, regions, units, as_then := as_then)
WHERE month IN (
    SELECT month FROM in_scope(from_month, to_month, departments, regions, units, as_then := as_then)
    WHERE tool = '*' GROUP BY month HAVING sum(headcount) >= min_group
);

-- name: scoped_moves
-- The segment moves (queries/rollups.sql) of the months scoped_rollup shows: a withheld month has none.
CREATE OR REPLACE TEMP MACRO scoped_moves(from_month, to_month, departments, regions, units, min_group,
                                          as_then := false) AS TABLE
SELECT s.* REPLACE (shown_department(s.department, t.today, as_then) AS department)
FROM segment_moves s LEFT JOIN department_today t ON t.month = s.month AND t.department = s.department
WHERE s.month BETWEEN from_month AND to_month
  AND chosen(departments, regions, units, shown_department(s.department, t.today, as_then), s.region,
             s.business_unit)
  AND s.month IN (SELECT month FROM scoped_rollup(from_month, to_month, departments, regions, units, min_group,
                                                  as_then := as_then)
                  WHERE tool = '*');

-- name: scoped_cohorts
-- Cohorts of from_month..to_month in scope (each member in the org unit of their cohort's month), with the size of
-- each and the people of it active in each later month. A cohort of fewer than min_group people in scope has no
-- rows at all: its retention is about too few people.
-- A member's department is the one on their cohort month's roster, shown by its name today unless as_then.
CREATE OR REPLACE TEMP MACRO scoped_cohorts(from_month, to_month, departments, regions, units, min_group,
                                            as_then := false) AS TABLE
WITH cells AS (
    SELECT c.cohort, c.month, sum(c.people) AS people
    FROM cohort_rollup c LEFT JOIN department_today t ON t.month = c.cohort AND t.department = c.department
    WHERE c.cohort BETWEEN from_month AND to_month
      AND chosen(departments, regions, units, shown_department(c.department, t.today, as_then), c.region,
                 c.business_unit)
    GROUP BY c.cohort, c.month
)
SELECT c.cohort, c.month, s.people AS size, c.people
FROM cells c JOIN cells s ON s.cohort = c.cohort AND s.month = s.cohort
WHERE s.people >= min_group;

-- name: withheld_months
-- The months whose scope holds someone but fewer than min_group people: the pages say why they show nothing.
-- It says only that the group is small, never how small.
CREATE OR REPLACE TEMP MACRO withheld_months(from_month, to_month, departments, regions, units, min_group,
                                             as_then := false) AS TABLE
SELECT month FROM in_scope(from_month, to_month, departments, regions, units, as_then := as_then)
WHERE tool = '*' GROUP BY month HAVING sum(headcount) > 0 AND sum(headcount) < min_group;

-- name: department_cells
-- Per department of the scoped source in one month: headcount, champions and people active on the tool (or any
-- tool). The CoE family reads departments and the champion lift from it.
CREATE OR REPLACE TEMP MACRO department_cells(month_, departments, regions, units, tool_, min_group,
                                              as_then := false) AS TABLE
SELECT department,
    sum(headcount) FILTER (WHERE tool = '*') AS headcount,
    sum(champions) FILTER (WHERE tool = '*') AS champions,
    sum(active) FILTER (WHERE tool = coalesce(tool_, '*')) AS active
FROM scoped_rollup(month_, month_, departments, regions, units, min_group, as_then := as_then)
GROUP BY department;

-- name: tool_held
-- Whether a month holds activity for the tool filter (NULL = any tool): without it, activity rates are "no data".
CREATE OR REPLACE TEMP MACRO tool_held(has_activity, tools, tool_) AS
    has_activity AND (tool_ IS NULL OR list_contains(tools, tool_));

-- name: contribution_held
-- Whether a month holds contribution data (posts or replies) for the tool filter (NULL = any tool: at least one tool
-- reports them). Without it contributors, creators and responses per post are "no data", not 0: the older Teams
-- export (before March 2022) has no posts or replies (docs/metrics.md#contribution-data).
CREATE OR REPLACE TEMP MACRO contribution_held(contribution_tools, tool_) AS
    coalesce(CASE WHEN tool_ IS NULL THEN len(contribution_tools) > 0
                  ELSE list_contains(contribution_tools, tool_) END, false);

-- name: held_rate
-- Every rate of people over a headcount (adoption, contribution, creators, leadership, training reach, ...): NULL
-- ("no data") when the month does not hold the data or nobody is counted, else part / whole with a missing part
-- counted as 0 (docs/metrics.md#no-data-and-zero).
CREATE OR REPLACE TEMP MACRO held_rate(part, whole, held) AS
    CASE WHEN held AND whole > 0 THEN coalesce(part, 0) / whole END;
