-- Planning: which bins keep a promised calendar, public holidays and their shifts, and the
-- life of a plan after it is made (locked stops, drivers' reports, a log of every change).

-- A bin is collected by need (its sensor and forecast) or on its promised weekday.
ALTER TABLE bins ADD COLUMN schedule text NOT NULL DEFAULT 'need'
    CHECK (schedule IN ('need', 'calendar'));
ALTER TABLE bins ADD COLUMN round_weekday smallint CHECK (round_weekday BETWEEN 0 AND 6);
ALTER TABLE bins ADD CONSTRAINT bins_calendar_has_weekday
    CHECK (schedule = 'need' OR round_weekday IS NOT NULL);

-- No collection on a holiday; calendar collections of that day move to `moved_to`.
CREATE TABLE holidays (
    day      date PRIMARY KEY,
    name     text NOT NULL,
    moved_to date CHECK (moved_to IS NULL OR moved_to <> day)
);

-- What a plan was made from: its stops as the route engine saw them (demand, prize, ...),
-- so that a change later is checked against the same problem.
ALTER TABLE plans ADD COLUMN problem jsonb;
ALTER TABLE plans ADD CONSTRAINT plans_status
    CHECK (status IN ('proposed', 'approved', 'superseded'));

ALTER TABLE plan_stops ADD COLUMN locked boolean NOT NULL DEFAULT false;

-- A driver's word on a stop, once per stop and plan: a retry stores nothing twice.
CREATE TABLE stop_reports (
    plan_id     bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    bin_id      text NOT NULL,
    status      text NOT NULL CHECK (status IN ('done', 'skipped')),
    reason      text CHECK (reason IN ('blocked', 'not put out', 'inaccessible', 'contaminated')),
    reported_at timestamptz NOT NULL,
    note        text NOT NULL DEFAULT '',
    PRIMARY KEY (plan_id, bin_id),
    CHECK ((status = 'skipped') = (reason IS NOT NULL))
);

-- Every change of a plan after it was made: by whom, what, and the version it produced.
CREATE TABLE plan_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_date   date NOT NULL,
    from_plan   bigint REFERENCES plans (id) ON DELETE SET NULL,
    to_plan     bigint REFERENCES plans (id) ON DELETE SET NULL,
    kind        text NOT NULL
                CHECK (kind IN ('add', 'remove', 'move', 'lock', 'unlock', 'urgent', 'approve')),
    bin_id      text,
    detail      jsonb NOT NULL DEFAULT '{}',
    changed_by  text NOT NULL DEFAULT '',
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plan_changes_date ON plan_changes (plan_date, changed_at);
