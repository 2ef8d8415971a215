-- A driver's photo of a stop (a blocked street, a contaminated bin), beside the report.
ALTER TABLE stop_reports ADD COLUMN photo bytea;
ALTER TABLE stop_reports ADD COLUMN photo_type text;
ALTER TABLE stop_reports ADD CONSTRAINT stop_reports_photo_typed
    CHECK ((photo IS NULL) = (photo_type IS NULL));
