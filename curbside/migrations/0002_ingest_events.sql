-- The production ingest: device-to-bin history, derived events, collections, reject replay,
-- suspect readings and frame-counter de-duplication.

-- LoRaWAN devices are also known by their DevEUI (lower-case hex), as ChirpStack names them.
ALTER TABLE devices ADD COLUMN dev_eui text UNIQUE CHECK (dev_eui ~ '^[0-9a-f]{16}$');

-- Which bin a device sat in, over time. `devices.bin_id` stays the current assignment; this
-- trigger-kept history lets a reading follow the assignment valid at its measurement time.
CREATE TABLE device_assignments (
    device_id  text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    bin_id     text NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
    valid_from timestamptz NOT NULL,
    valid_to   timestamptz,
    PRIMARY KEY (device_id, valid_from),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);

INSERT INTO device_assignments (device_id, bin_id, valid_from)
SELECT id, bin_id, '-infinity' FROM devices WHERE bin_id IS NOT NULL;

CREATE FUNCTION devices_keep_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.bin_id IS NOT DISTINCT FROM OLD.bin_id THEN
            RETURN NEW;
        END IF;
        -- a second move in the same transaction replaces the first one's bin
        DELETE FROM device_assignments
        WHERE device_id = NEW.id AND valid_to IS NULL AND valid_from = now();
        UPDATE device_assignments SET valid_to = now()
        WHERE device_id = NEW.id AND valid_to IS NULL;
    END IF;
    IF NEW.bin_id IS NOT NULL THEN
        -- a device's first bin holds for everything it measured before registration too
        INSERT INTO device_assignments (device_id, bin_id, valid_from)
        VALUES (NEW.id, NEW.bin_id, CASE WHEN TG_OP = 'INSERT' THEN '-infinity' ELSE now() END)
        ON CONFLICT (device_id, valid_from) DO UPDATE SET bin_id = EXCLUDED.bin_id, valid_to = NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER devices_assignments
AFTER INSERT OR UPDATE OF bin_id ON devices
FOR EACH ROW EXECUTE FUNCTION devices_keep_assignments();

-- Readings: a flag for values the sensor cannot vouch for (inside the blind zone, past the
-- bottom, tilted), whether the bin was found tilted (a position flag or a tilt angle), and the
-- frame counter as a second de-duplication key.
ALTER TABLE readings ADD COLUMN suspect boolean NOT NULL DEFAULT false;
ALTER TABLE readings ADD COLUMN tilted boolean;
CREATE INDEX readings_device_seq ON readings (device_id, seq, measured_at) WHERE seq IS NOT NULL;

-- Rejects are kept after a successful replay, marked with when and how they were resolved.
ALTER TABLE ingest_rejects ADD COLUMN resolved_at timestamptz;
ALTER TABLE ingest_rejects ADD COLUMN resolution text;
CREATE INDEX ingest_rejects_open ON ingest_rejects (received_at) WHERE resolved_at IS NULL;

-- Events derived on arrival; the key makes a redelivered reading derive nothing new.
CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id   text NOT NULL,
    bin_id      text,
    kind        text NOT NULL
                CHECK (kind IN ('battery_low', 'fire_risk', 'tilt', 'emptied', 'silent')),
    occurred_at timestamptz NOT NULL,
    detected_at timestamptz NOT NULL DEFAULT now(),
    value       double precision,
    detail      text NOT NULL DEFAULT '',
    UNIQUE (device_id, kind, occurred_at)
);
CREATE INDEX events_kind_time ON events (kind, occurred_at DESC);
CREATE INDEX events_bin_time ON events (bin_id, occurred_at DESC);

-- Collections: a bin emptied, seen by its sensor (a fill drop) or reported by a driver.
CREATE TABLE collections (
    bin_id       text NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
    collected_at timestamptz NOT NULL,
    source       text NOT NULL CHECK (source IN ('sensor', 'driver', 'plan')),
    fill_before  real,
    fill_after   real,
    device_id    text,
    PRIMARY KEY (bin_id, collected_at)
);
