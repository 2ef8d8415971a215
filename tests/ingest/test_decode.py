"""Tests of ingest/decode.py: canonical payloads, good and bad."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest import RejectError, decode_canonical

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_object_with_all_fields_decodes() -> None:
    """Every contract field lands in the measurement; extra fields are kept."""
    payload = (
        b'{"ts": "2026-11-27T11:00:00Z", "fill_pct": 42.5, "distance_mm": 700,'
        b' "battery_pct": 88, "temperature_c": 21.5, "tilt_deg": 3, "seq": 17, "rssi": -97}'
    )
    [m] = decode_canonical(payload, NOW)
    assert m.measured_at == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    assert not m.time_is_receive
    assert (m.fill_pct, m.distance_mm, m.battery_pct) == (42.5, 700, 88)
    assert (m.temperature_c, m.tilt_deg, m.seq) == (21.5, 3, 17)
    assert m.extra == {"rssi": -97}


def test_array_gives_one_measurement_per_object() -> None:
    """An array payload carries several readings."""
    payload = b'[{"ts": 1795000000, "fill_pct": 10}, {"ts": 1795003600, "fill_pct": 12}]'
    measurements = decode_canonical(payload, datetime.fromtimestamp(1795003600, UTC))
    assert [m.fill_pct for m in measurements] == [10, 12]
    assert measurements[1].measured_at - measurements[0].measured_at == timedelta(hours=1)


def test_missing_ts_uses_receive_time_and_marks_it() -> None:
    """Without ts the receive time stands in, flagged as such."""
    [m] = decode_canonical(b'{"distance_mm": 900}', NOW)
    assert m.measured_at == NOW
    assert m.time_is_receive


def test_offset_timestamps_are_converted_to_utc() -> None:
    """An RFC 3339 offset is honoured."""
    [m] = decode_canonical(b'{"ts": "2026-11-27T12:30:00+01:00", "fill_pct": 1}', NOW)
    assert m.measured_at == datetime(2026, 11, 27, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-11-27T11:30:00z", "2026-11-27t11:30:00Z"])
def test_lower_case_rfc3339_letters_are_accepted(text: str) -> None:
    """RFC 3339 allows "t" and "z" in lower case."""
    [m] = decode_canonical(b'{"ts": "%s", "fill_pct": 1}' % text.encode(), NOW)
    assert m.measured_at == datetime(2026, 11, 27, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "malformed_json"),
        (b"\xff\xfe", "malformed_json"),
        (b"[]", "empty_payload"),
        (b"42", "invalid_field"),
        (b'{"ts": "2026-11-27T11:00:00Z"}', "missing_level"),
        (b'{"fill_pct": "full"}', "invalid_field"),
        (b'{"fill_pct": true}', "invalid_field"),
        (b'{"distance_mm": 12.5}', "invalid_field"),
        (b'{"fill_pct": 101}', "out_of_range"),
        (b'{"fill_pct": -1}', "out_of_range"),
        (b'{"fill_pct": 50, "battery_pct": 140}', "out_of_range"),
        (b'{"fill_pct": 50, "tilt_deg": 270}', "out_of_range"),
        (b'{"fill_pct": 50, "seq": 9223372036854775808}', "out_of_range"),  # past bigint
        (b'{"fill_pct": 50, "seq": -1}', "out_of_range"),
        (b'{"distance_mm": 1e400}', "malformed_json"),  # not a finite number: not JSON
        (b'{"fill_pct": NaN}', "malformed_json"),
        (b'{"fill_pct": 50, "ts": "yesterday"}', "bad_timestamp"),
        (b'{"fill_pct": 50, "ts": "2026-11-27T11:00:00"}', "bad_timestamp"),
        (b'{"fill_pct": 50, "ts": "2026-11-28T12:00:00Z"}', "bad_timestamp"),
        (b'{"fill_pct": 50, "ts": "2020-01-01T00:00:00Z"}', "bad_timestamp"),
        (b'{"fill_pct": 50, "ts": 1e20}', "bad_timestamp"),
        (b'[{"fill_pct": 50}, {"fill_pct": 500}]', "out_of_range"),
    ],
)
def test_bad_payloads_are_rejected_with_a_reason(payload: bytes, reason: str) -> None:
    """Each kind of bad payload names its own reason."""
    with pytest.raises(RejectError) as caught:
        decode_canonical(payload, NOW)
    assert caught.value.reason == reason


@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_reject(payload: bytes) -> None:
    """No input makes the decoder fail with anything but a reject."""
    try:
        measurements = decode_canonical(payload, NOW)
    except RejectError as exc:
        reasons = {"malformed_json", "empty_payload", "invalid_field", "missing_level"}
        assert exc.reason in reasons | {"out_of_range", "bad_timestamp"}  # noqa: PT017
    else:
        assert all(m.fill_pct is not None or m.distance_mm is not None for m in measurements)
