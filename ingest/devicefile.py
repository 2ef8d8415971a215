"""Files of bins and their sensors, read and checked: CSV with a header row, or GeoJSON.

Both carry the same fields (`COLUMNS`; a GeoJSON Point's coordinates stand for `lon`, `lat`).
Every row is checked and every bad row reported, one line each, before anything is written.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from curbside.geometry import BinGeometry

REQUIRED = ("bin_id", "lat", "lon", "waste_stream", "volume_l", "empty_distance_mm",
            "full_distance_mm")  # fmt: skip
COLUMNS = ("bin_id", "lat", "lon", "address", "waste_stream", "volume_l", "empty_distance_mm",
           "full_distance_mm", "blind_zone_mm", "device_id", "sensor_model", "dev_eui",
           "report_interval_s")  # fmt: skip
_DEVICE_ONLY = ("sensor_model", "dev_eui", "report_interval_s")
_DEV_EUI = re.compile(r"[0-9a-fA-F]{16}")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_SHOWN_ERRORS = 20


class ImportFileError(ValueError):
    """A file that cannot be imported; `errors` holds one line per bad row."""

    def __init__(self, source: str, errors: list[str]) -> None:
        self.errors = tuple(errors)
        lines = [f"{source}: {len(errors)} error(s), nothing imported", *errors[:_SHOWN_ERRORS]]
        if len(errors) > _SHOWN_ERRORS:
            lines.append(f"... and {len(errors) - _SHOWN_ERRORS} more")
        super().__init__("\n  ".join(lines))


class BinRecord(NamedTuple):
    """A bin as a file row gives it; None where an optional value is blank."""

    id: str
    lat: float
    lon: float
    address: str | None
    waste_stream: str
    volume_l: float
    empty_distance_mm: int
    full_distance_mm: int
    blind_zone_mm: int | None


class DeviceRecord(NamedTuple):
    """A device as a file row gives it, in the bin of its row."""

    id: str
    sensor_model: str
    bin_id: str
    dev_eui: str | None
    report_interval_s: int | None


# A checked row: where it came from ("line 3", "feature 2"), its bin and its device (if any).
Row = tuple[str, BinRecord, DeviceRecord | None]


def read_csv(path: Path) -> list[Row]:
    """The checked rows of a CSV file whose header names some of `COLUMNS`."""
    return _rows(str(path), _csv_records(path))


def read_geojson(path: Path) -> list[Row]:
    """The checked rows of a FeatureCollection of Points whose properties carry `COLUMNS`."""
    return _rows(str(path), _geojson_records(path))


# --- reading -------------------------------------------------------------------------------


def _csv_records(path: Path) -> Iterator[tuple[str, Mapping[str, object]]]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        try:
            yield from _checked_csv(str(path), reader)
        except UnicodeDecodeError as exc:
            raise ImportFileError(str(path), [f"not UTF-8 text: {exc}"]) from exc
        except csv.Error as exc:
            # line_num counts the lines of the records read whole; this one starts after them
            raise ImportFileError(str(path), [f"line {reader.line_num + 1}: {exc}"]) from exc


def _checked_csv(
    source: str, reader: csv.DictReader[str]
) -> Iterator[tuple[str, Mapping[str, object]]]:
    header = [name.strip() for name in reader.fieldnames or []]
    problems = [
        f"{what} column(s) {', '.join(names)}"
        for what, names in (
            ("missing", [name for name in REQUIRED if name not in header]),
            ("unknown", [name for name in header if name not in COLUMNS]),
            ("repeated", sorted({name for name in header if header.count(name) > 1})),
        )
        if names
    ]
    if problems:
        raise ImportFileError(source, [f"line 1: {'; '.join(problems)}"])
    reader.fieldnames = header
    for record in reader:
        where = f"line {reader.line_num}"
        if None in record:
            yield where, {"": f"more values than the {len(header)} columns"}
        else:
            yield where, record


def _geojson_records(path: Path) -> Iterator[tuple[str, Mapping[str, object]]]:
    try:
        document = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(str(path), [f"not JSON: {exc}"]) from exc
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list) or document.get("type") != "FeatureCollection":
        raise ImportFileError(str(path), ["not a GeoJSON FeatureCollection"])
    for number, feature in enumerate(features, start=1):
        where = f"feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            yield where, {"": "not a GeoJSON Feature"}
            continue
        properties = feature.get("properties")
        geometry = feature.get("geometry")
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            yield where, {"": "geometry must be a Point"}
        elif not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
            yield where, {"": "coordinates must be [lon, lat]"}
        elif properties is not None and not isinstance(properties, dict):
            yield where, {"": "properties must be an object"}
        else:
            record = dict(properties or {})
            if _text(record.get("bin_id"), "bin_id") is None:
                record["bin_id"] = feature.get("id")
            record["lon"], record["lat"] = coordinates[0], coordinates[1]
            yield where, record


# --- checking ------------------------------------------------------------------------------


def _rows(source: str, records: Iterator[tuple[str, Mapping[str, object]]]) -> list[Row]:
    """Checked rows, or an `ImportFileError` with every bad row's error once all are read."""
    errors: list[str] = []
    rows: list[Row] = []
    bins: dict[str, tuple[str, BinRecord]] = {}
    others: dict[tuple[str, str], str] = {}  # ("device", id) or ("dev_eui", eui): where
    for where, record in records:
        try:
            bin_, device = _parse(record)
            first_where, first_bin = bins.setdefault(bin_.id, (where, bin_))
            if first_bin is not bin_ and first_bin != bin_:
                raise ValueError(f"bin {bin_.id} differs from the one on {first_where}")
            for key in _unique_keys(device):
                first_where = others.setdefault(key, where)
                if first_where != where:
                    raise ValueError(f"{key[0]} {key[1]} is already on {first_where}")
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
            continue
        rows.append((where, bin_, device))
    if errors:
        raise ImportFileError(source, errors)
    if not rows:
        raise ImportFileError(source, ["no rows"])
    return rows


def _unique_keys(device: DeviceRecord | None) -> tuple[tuple[str, str], ...]:
    """What must not repeat in a file: a device id, a DevEUI."""
    if device is None:
        return ()
    if device.dev_eui is None:
        return (("device", device.id),)
    return ("device", device.id), ("dev_eui", device.dev_eui)


def _parse(record: Mapping[str, object]) -> tuple[BinRecord, DeviceRecord | None]:
    if "" in record:
        raise ValueError(record[""])
    get = record.get
    bin_ = BinRecord(
        _text(get("bin_id"), "bin_id", required=True) or "",
        _number(get("lat"), "lat", -90, 90),
        _number(get("lon"), "lon", -180, 180),
        _text(get("address"), "address"),
        _text(get("waste_stream"), "waste_stream", required=True) or "",
        _number(get("volume_l"), "volume_l", 0, math.inf, low_open=True),
        _integer(get("empty_distance_mm"), "empty_distance_mm", 1, required=True) or 0,
        _integer(get("full_distance_mm"), "full_distance_mm", 0, required=True) or 0,
        _integer(get("blind_zone_mm"), "blind_zone_mm", 0),
    )
    _check_geometry(bin_.empty_distance_mm, bin_.full_distance_mm, bin_.blind_zone_mm or 0)
    device_id = _text(get("device_id"), "device_id")
    if device_id is None:
        given = [name for name in _DEVICE_ONLY if _text(get(name), name) is not None]
        if given:
            raise ValueError(f"{', '.join(given)} given without a device_id")
        return bin_, None
    dev_eui = _text(get("dev_eui"), "dev_eui")
    if dev_eui is not None and not _DEV_EUI.fullmatch(dev_eui):
        raise ValueError(f"dev_eui must be 16 hex digits, got {dev_eui!r}")
    device = DeviceRecord(
        device_id,
        _text(get("sensor_model"), "sensor_model", required=True) or "",
        bin_.id,
        None if dev_eui is None else dev_eui.lower(),
        _integer(get("report_interval_s"), "report_interval_s", 1),
    )
    return bin_, device


@functools.lru_cache(maxsize=1024)
def _check_geometry(empty_mm: int, full_mm: int, blind_mm: int) -> None:
    """The kernel's checks of a bin geometry; a city has few distinct ones, so they are cached."""
    BinGeometry(empty_mm, full_mm, blind_mm)


# Each check takes a value as read (text from CSV; text, a number or null from GeoJSON);
# blank text counts as absent.


def _text(value: object, name: str, required: bool = False) -> str | None:
    if value.__class__ is str:
        value = value.strip()
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} must be text, got {value!r}")
    return str(value)


def _number(value: object, name: str, low: float, high: float, low_open: bool = False) -> float:
    if value is None or value == "" or (isinstance(value, str) and not value.strip()):
        raise ValueError(f"{name} is required")
    try:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not (low < number if low_open else low <= number) or not number <= high:
        bounds = f"> {low:g}" if math.isinf(high) else f"between {low:g} and {high:g}"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")
    return number


def _integer(value: object, name: str, low: int, required: bool = False) -> int | None:
    if value.__class__ is str:
        value = value.strip()
    if value is None or value == "":
        if required:
            raise ValueError(f"{name} is required")
        return None
    number: int
    if (isinstance(value, str) and _INTEGER.fullmatch(value)) or (
        isinstance(value, float) and value.is_integer()
    ):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if number < low:
        raise ValueError(f"{name} must be >= {low}, got {number}")
    return number
