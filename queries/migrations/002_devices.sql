-- Version 2: device usage (Viva Engage device usage report) for the mobile reach figure.
-- One row per person per tool per month: did they use a phone or tablet app (Windows Phone, Android, iPhone, iPad)?
CREATE TABLE devices (
    upload_id INTEGER, month DATE, person_key VARCHAR, tool VARCHAR, used_mobile BOOLEAN
);
CREATE VIEW live_devices AS
    SELECT d.* FROM devices d
    JOIN live_slices s ON s.upload_id = d.upload_id AND s.kind = 'devices' AND s.tool = d.tool AND s.month = d.month;

-- Rollup columns, appended in this order (the rollup INSERTs are positional).
ALTER TABLE month_status ADD COLUMN has_devices BOOLEAN;
-- person_month.mobile: active this month and used a mobile app; NULL when the month has no device upload.
ALTER TABLE person_month ADD COLUMN mobile BOOLEAN;
-- org_rollup.mobile_active: people counted in `mobile` ('*' rows only; NULL on per-tool rows).
ALTER TABLE org_rollup ADD COLUMN mobile_active BIGINT;
