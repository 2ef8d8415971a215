-- Problems residents report: where, what, an optional photo; no name, no contact.
CREATE TABLE resident_reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL
                CHECK (kind IN ('overflowing', 'damaged', 'missed collection', 'illegal dumping')),
    description text NOT NULL DEFAULT '',
    lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    bin_id      text REFERENCES bins (id) ON DELETE SET NULL,
    photo       bytea,
    photo_type  text,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'planned', 'closed')),
    plan_id     bigint REFERENCES plans (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((photo IS NULL) = (photo_type IS NULL))
);
CREATE INDEX resident_reports_open ON resident_reports (status) WHERE status = 'open';
