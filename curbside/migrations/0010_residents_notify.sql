-- The residents' lookups are answered from a copy of what they read, kept by each API
-- process (api/residents_index.py). A change to it notifies the processes to reload: one
-- notification per statement, and PostgreSQL delivers identical ones of a transaction once.
CREATE FUNCTION notify_residents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('curbside_residents', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER bins_residents_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bins
    FOR EACH STATEMENT EXECUTE FUNCTION notify_residents_changed();
CREATE TRIGGER holidays_residents_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON holidays
    FOR EACH STATEMENT EXECUTE FUNCTION notify_residents_changed();
CREATE TRIGGER plans_residents_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON plans
    FOR EACH STATEMENT EXECUTE FUNCTION notify_residents_changed();
CREATE TRIGGER plan_stops_residents_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON plan_stops FOR EACH STATEMENT EXECUTE FUNCTION notify_residents_changed();
