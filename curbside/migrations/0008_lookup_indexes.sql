-- What residents look up many times a second: the bins at an address (any letter case),
-- and the plans that collect a bin.
CREATE INDEX bins_address_lower ON bins (lower(address));
CREATE INDEX plan_stops_site ON plan_stops (site_id, plan_id);
