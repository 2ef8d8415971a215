"""A network server's uplink into a measurement, with the device's own byte decoder.

The raw bytes are decoded by the decoder of the device's sensor model; the network server's
decoded object is the fallback when there are no bytes, no decoder for the model, or bytes the
decoder cannot read. LoRaWAN frames carry no measurement time: the network's receive time
stands in, marked as such, and the frame counter is the reading's sequence number.
"""

from __future__ import annotations

from ingest.decode import Measurement, check_values
from ingest.envelopes import Envelope
from ingest.errors import RejectError
from ingest.sensors import MODELS, SensorValues, decode_frame, model_key, values_from_decoded


def lorawan_measurement(envelope: Envelope, sensor_model: str) -> Measurement:
    """The reading of one uplink; a frame without a usable level is rejected with the reason."""
    values = sensor_values(envelope, sensor_model)
    if not values.valid:
        raise RejectError("no_reading", values.note)
    checked = check_values(
        {
            "fill_pct": values.fill_pct,
            "distance_mm": values.distance_mm,
            "battery_pct": values.battery_pct,
            "battery_v": values.battery_v,
            "temperature_c": values.temperature_c,
            "seq": envelope.f_cnt,
        }
    )
    extra = {**values.extra, "f_port": envelope.f_port, **envelope.radio}
    if values.alarm is not None:
        extra["alarm"] = values.alarm
    if envelope.dedup_id:
        extra["dedup_id"] = envelope.dedup_id
    return Measurement(
        measured_at=envelope.received_at,
        time_is_receive=True,
        tilted=values.tilt,
        suspect=bool(values.tilt),
        extra=extra,
        **checked,
    )


def sensor_values(envelope: Envelope, sensor_model: str) -> SensorValues:
    """Decode the bytes with the model's decoder, else take the server's decoded object."""
    if envelope.payload and model_key(sensor_model) in MODELS:
        try:
            return decode_frame(sensor_model, envelope.f_port, envelope.payload)
        except RejectError:
            if envelope.decoded is None:
                raise
    if envelope.decoded is not None:
        return values_from_decoded(sensor_model, envelope.decoded)
    raise RejectError(
        "undecodable_payload", f"no decoder for {sensor_model!r} and no decoded object"
    )
