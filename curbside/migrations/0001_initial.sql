-- The first schema: the device registry, readings, rejects, the fleet and its sites, plans.
-- Applied in one transaction by curbside.migrate; TimescaleDB features are switched on at the
-- end when the extension is preloaded, and the schema stays plain PostgreSQL otherwise.

CREATE TABLE bins (
    id               text PRIMARY KEY,
    lat              double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon              double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    address          text,
    waste_stream     text NOT NULL,
    volume_l         double precision NOT NULL CHECK (volume_l > 0),
    -- Geometry to turn a measured distance into a fill level: the distance from the sensor to
    -- the empty bottom, the distance when the bin counts as full, and the sensor's blind zone.
    empty_distance_mm integer NOT NULL CHECK (empty_distance_mm > 0),
    full_distance_mm  integer NOT NULL CHECK (full_distance_mm >= 0),
    blind_zone_mm     integer NOT NULL DEFAULT 0 CHECK (blind_zone_mm >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (full_distance_mm < empty_distance_mm)
);

CREATE TABLE devices (
    id                text PRIMARY KEY,
    sensor_model      text NOT NULL,
    bin_id            text REFERENCES bins (id) ON DELETE SET NULL,
    report_interval_s integer NOT NULL DEFAULT 3600 CHECK (report_interval_s > 0),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_bin_id ON devices (bin_id);

CREATE TABLE readings (
    device_id       text NOT NULL,
    bin_id          text,
    measured_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    -- true when the message carried no measurement time and the receive time stands in
    time_is_receive boolean NOT NULL DEFAULT false,
    fill_pct        real CHECK (fill_pct BETWEEN 0 AND 100),
    distance_mm     integer,
    battery_pct     real,
    battery_v       real,
    temperature_c   real,
    tilt_deg        real,
    seq             bigint,
    extra           jsonb,
    PRIMARY KEY (device_id, measured_at)
);
CREATE INDEX readings_bin_time ON readings (bin_id, measured_at DESC);

CREATE TABLE ingest_rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL,
    topic       text NOT NULL,
    payload     bytea NOT NULL,
    reason      text NOT NULL,
    detail      text NOT NULL DEFAULT ''
);
CREATE INDEX ingest_rejects_reason_time ON ingest_rejects (reason, received_at DESC);

CREATE TABLE depots (
    id   text PRIMARY KEY,
    name text NOT NULL,
    lat  double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon  double precision NOT NULL CHECK (lon BETWEEN -180 AND 180)
);

CREATE TABLE disposal_facilities (
    id             text PRIMARY KEY,
    name           text NOT NULL,
    lat            double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon            double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    opens_at       time NOT NULL DEFAULT '06:00',
    closes_at      time NOT NULL DEFAULT '18:00',
    unload_s       integer NOT NULL DEFAULT 900 CHECK (unload_s >= 0),
    waste_streams  text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE vehicles (
    id            text PRIMARY KEY,
    depot_id      text NOT NULL REFERENCES depots (id),
    capacity_l    double precision NOT NULL CHECK (capacity_l > 0),
    capacity_kg   double precision NOT NULL CHECK (capacity_kg > 0),
    shift_start   time NOT NULL DEFAULT '06:00',
    shift_end     time NOT NULL DEFAULT '14:00',
    cost_per_km   double precision NOT NULL DEFAULT 1.0,
    cost_per_hour double precision NOT NULL DEFAULT 40.0,
    waste_streams text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE plans (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_date      date NOT NULL,
    version        integer NOT NULL,
    status         text NOT NULL DEFAULT 'proposed',
    created_at     timestamptz NOT NULL DEFAULT now(),
    solver         text NOT NULL,
    distance_m     double precision NOT NULL,
    duration_s     double precision NOT NULL,
    params         jsonb NOT NULL DEFAULT '{}',
    UNIQUE (plan_date, version)
);

CREATE TABLE plan_routes (
    plan_id    bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    vehicle_id text NOT NULL REFERENCES vehicles (id),
    distance_m double precision NOT NULL,
    duration_s double precision NOT NULL,
    load_l     double precision NOT NULL,
    PRIMARY KEY (plan_id, vehicle_id)
);

CREATE TABLE plan_stops (
    plan_id       bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    vehicle_id    text NOT NULL,
    position      integer NOT NULL,
    -- 'depot' at both ends of a route, 'bin' for a collection, 'disposal' for an unloading
    kind          text NOT NULL CHECK (kind IN ('depot', 'bin', 'disposal')),
    site_id       text NOT NULL,
    arrival_at    timestamptz NOT NULL,
    load_after_l  double precision NOT NULL,
    expected_fill_pct real,
    PRIMARY KEY (plan_id, vehicle_id, position),
    FOREIGN KEY (plan_id, vehicle_id) REFERENCES plan_routes (plan_id, vehicle_id) ON DELETE CASCADE
);

-- Bins a plan leaves out, never silently: each with the reason.
CREATE TABLE plan_omissions (
    plan_id bigint NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    bin_id  text NOT NULL,
    reason  text NOT NULL,
    PRIMARY KEY (plan_id, bin_id)
);

-- TimescaleDB when it is preloaded: readings become a hypertable partitioned by measurement
-- time. Without it the same table stays a plain, indexed PostgreSQL table.
DO $$
BEGIN
    IF current_setting('shared_preload_libraries', true) LIKE '%timescaledb%' THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        PERFORM create_hypertable('readings', 'measured_at',
                                  chunk_time_interval => interval '7 days');
    END IF;
END
$$;
