-- API keys: who may call what. Only a hash of each key is stored; the key itself is shown
-- once, when it is created. A driver's key may be tied to the vehicle the driver drives.
CREATE TABLE api_keys (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (name <> ''),
    role        text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'driver', 'gateway')),
    vehicle_id  text REFERENCES vehicles (id) ON DELETE CASCADE,
    key_hash    bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK (vehicle_id IS NULL OR role = 'driver')
);
