"""Tests of ingest/devices.py and ingest/devicefile.py: bulk imports into the real database."""

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ingest import ImportFileError, ImportReport, import_devices_csv, import_devices_geojson
from ingest.devicefile import COLUMNS

DATA = Path(__file__).parents[1] / "data"
HEADER = ",".join(COLUMNS)
GOOD_ROW = "bin-1,51.05,3.72,,residual,240,1000,200,,dev-1,em310-udl,a84041000181c7e1,"
BINS = [
    ("bin-1", 51.0543, 3.7174, "Korenmarkt 1, Gent", "residual", 240.0, 1000, 200, 250),
    ("bin-2", 51.056, 3.721, "Veldstraat 20", "paper", 1100.0, 1400, 300, 0),
    ("bin-3", 51.05, 3.73, None, "glass", 3000.0, 2000, 400, 0),
]
DEVICES = [
    ("dev-1", "em310-udl", "bin-1", "a84041000181c7e1", 1800),
    ("dev-2", "ldds75", "bin-2", "a84041000181c7e2", 3600),
]


def bins(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT id, lat, lon, address, waste_stream, volume_l, empty_distance_mm,"
        " full_distance_mm, blind_zone_mm FROM bins ORDER BY id"
    ).fetchall()


def devices(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT id, sensor_model, bin_id, dev_eui, report_interval_s FROM devices ORDER BY id"
    ).fetchall()


def history(conn: psycopg.Connection, device_id: str) -> list[tuple[str, bool, bool]]:
    """A device's assignments: bin, whether it starts at -infinity, whether it is open."""
    return conn.execute(
        "SELECT bin_id, valid_from = '-infinity', valid_to IS NULL FROM device_assignments"
        " WHERE device_id = %s ORDER BY valid_from",
        (device_id,),
    ).fetchall()


def csv_file(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "devices.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def geojson_file(tmp_path: Path, *features: object) -> Path:
    path = tmp_path / "devices.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}))
    return path


def feature(**properties: object) -> dict[str, object]:
    """A good GeoJSON feature of a bin with a device, with some properties replaced."""
    values: dict[str, object] = {
        "bin_id": "bin-1", "waste_stream": "residual", "volume_l": 240,
        "empty_distance_mm": 1000, "full_distance_mm": 200, "device_id": "dev-1",
        "sensor_model": "em310-udl",
    }  # fmt: skip
    values.update(properties)
    point = {"type": "Point", "coordinates": [3.72, 51.05]}
    return {"type": "Feature", "geometry": point, "properties": values}


@pytest.mark.parametrize(
    ("name", "importer"),
    [("devices.csv", import_devices_csv), ("devices.geojson", import_devices_geojson)],
)
def test_a_file_registers_its_bins_and_devices(
    db: psycopg.Connection, name: str, importer: Any
) -> None:
    """CSV and GeoJSON give the same bins and devices, each device in its first bin for good."""
    report = importer(db, DATA / name)
    assert report == ImportReport(bins_inserted=3, devices_inserted=2)
    assert bins(db) == BINS
    assert devices(db) == DEVICES
    assert history(db, "dev-1") == [("bin-1", True, True)]


def test_importing_the_same_file_again_changes_nothing(db: psycopg.Connection) -> None:
    """A second import of an unchanged file counts no updates and adds no history."""
    import_devices_csv(db, DATA / "devices.csv")
    assert import_devices_csv(db, DATA / "devices.csv") == ImportReport()
    assert history(db, "dev-1") == [("bin-1", True, True)]


def test_a_device_given_another_bin_moves_and_keeps_its_history(
    db: psycopg.Connection, tmp_path: Path
) -> None:
    """A device's new bin closes the old assignment and opens another; the bin is updated."""
    import_devices_csv(db, DATA / "devices.csv")
    moved = csv_file(
        tmp_path, "bin-3,51.05,3.73,,glass,3000,2000,400,100,dev-1,em310-udl,,"
    )  # fmt: skip
    report = import_devices_csv(db, moved)
    assert report == ImportReport(bins_updated=1, devices_updated=1, devices_moved=1)
    assert history(db, "dev-1") == [("bin-1", True, False), ("bin-3", False, True)]
    assert devices(db)[0] == ("dev-1", "em310-udl", "bin-3", "a84041000181c7e1", 1800)
    assert bins(db)[2][-1] == 100


def test_blank_optional_values_keep_what_is_stored(db: psycopg.Connection, tmp_path: Path) -> None:
    """Blank address, blind zone, DevEUI and report interval leave the stored values alone."""
    import_devices_csv(db, DATA / "devices.csv")
    path = csv_file(tmp_path, "bin-1,51.0543,3.7174,,residual,240,1000,200,,dev-1,em310-udl,,")
    assert import_devices_csv(db, path) == ImportReport()
    assert (bins(db)[0], devices(db)[0]) == (BINS[0], DEVICES[0])


def test_many_rows_are_imported_in_one_go(db: psycopg.Connection, tmp_path: Path) -> None:
    """A file of a thousand bins, half with a device, goes in whole."""
    rows = [
        f"b{i},51.0,3.7,,paper,240,1000,200,,{f'd{i},ldds75,{i:016x},600' if i % 2 else ',,,'}"
        for i in range(1000)
    ]
    report = import_devices_csv(db, csv_file(tmp_path, *rows))
    assert report == ImportReport(bins_inserted=1000, devices_inserted=500)
    assert db.execute("SELECT count(*) FROM device_assignments").fetchone() == (500,)


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("bin-9,91,3.7,,paper,240,1000,200,,,,,", "lat must be between -90 and 90, got '91'"),
        ("bin-9,nan,3.7,,paper,240,1000,200,,,,,", "lat must be a finite number, got 'nan'"),
        ("bin-9,51,east,,paper,240,1000,200,,,,,", "lon must be a number, got 'east'"),
        (",51,3.7,,paper,240,1000,200,,,,,", "bin_id is required"),
        ("bin-9,51,3.7,,,240,1000,200,,,,,", "waste_stream is required"),
        ("bin-9,51,3.7,,paper,0,1000,200,,,,,", "volume_l must be > 0, got '0'"),
        ("bin-9,51,3.7,,paper,240,1000.5,200,,,,,",
         "empty_distance_mm must be an integer, got '1000.5'"),
        ("bin-9,51,3.7,,paper,240,200,1000,,,,,",
         "need 0 <= full distance < empty distance, got 1000 and 200"),
        ("bin-9,51,3.7,,paper,240,1000,200,-1,,,,", "blind_zone_mm must be >= 0, got -1"),
        ("bin-9,51,3.7,,paper,240,1000,200,,dev-9,,,", "sensor_model is required"),
        ("bin-9,51,3.7,,paper,240,1000,200,,,ldds75,,60",
         "sensor_model, report_interval_s given without a device_id"),
        ("bin-9,51,3.7,,paper,240,1000,200,,dev-9,ldds75,a84041,",
         "dev_eui must be 16 hex digits, got 'a84041'"),
        ("bin-9,51,3.7,,paper,240,1000,200,,dev-9,ldds75,,0",
         "report_interval_s must be >= 1, got 0"),
        ("bin-9,51,3.7,,paper,240,1000,200,,dev-1,ldds75,,", "device dev-1 is already on line 2"),
        ("bin-1,51.05,3.72,,residual,1100,1000,200,,,,,",
         "bin bin-1 differs from the one on line 2"),
        ("bin-9,51,3.7,,paper,240,1000,200,,dev-9,ldds75,A84041000181C7E1,",
         "dev_eui a84041000181c7e1 is already on line 2"),
        ("bin-9,51,3.7,,paper,240,1000,200,,,,,,extra", "more values than the 13 columns"),
    ],
)  # fmt: skip
def test_a_bad_csv_row_is_reported_and_nothing_is_written(
    db: psycopg.Connection, tmp_path: Path, row: str, error: str
) -> None:
    """A bad row is named by its line with what is wrong, and the good row is not written."""
    with pytest.raises(ImportFileError) as refused:
        import_devices_csv(db, csv_file(tmp_path, GOOD_ROW, row))
    assert refused.value.errors == (f"line 3: {error}",)
    assert bins(db) == []


def test_every_bad_row_is_reported_in_order(db: psycopg.Connection, tmp_path: Path) -> None:
    """All bad rows are listed, each once, so one run finds every mistake."""
    path = csv_file(
        tmp_path, "bin-8,95,3.7,,paper,240,1000,200,,,,,", GOOD_ROW, ",51,3.7,,paper,1,9,1,,,,,"
    )
    with pytest.raises(ImportFileError, match="2 error") as refused:
        import_devices_csv(db, path)
    assert [error.split(":")[0] for error in refused.value.errors] == ["line 2", "line 4"]


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (HEADER.replace("volume_l,", ""), "line 1: missing column(s) volume_l"),
        (HEADER + ",colour", "line 1: unknown column(s) colour"),
        (HEADER + ",lat", "line 1: repeated column(s) lat"),
    ],
)
def test_a_bad_header_is_refused(
    db: psycopg.Connection, tmp_path: Path, header: str, error: str
) -> None:
    """Missing, unknown (a typo) and repeated columns are refused before any row is read."""
    with pytest.raises(ImportFileError) as refused:
        import_devices_csv(db, csv_file(tmp_path, GOOD_ROW, header=header))
    assert refused.value.errors == (error,)


def test_a_file_without_rows_is_refused(db: psycopg.Connection, tmp_path: Path) -> None:
    """A header alone is most likely the wrong file."""
    with pytest.raises(ImportFileError, match="no rows"):
        import_devices_csv(db, csv_file(tmp_path))


def test_a_dev_eui_of_another_stored_device_is_refused(
    db: psycopg.Connection, tmp_path: Path
) -> None:
    """A DevEUI already held by a device outside the file fails the whole import."""
    import_devices_csv(db, DATA / "devices.csv")
    path = csv_file(
        tmp_path,
        "bin-9,51,3.7,,paper,240,1000,200,,dev-9,ldds75,,",
        "bin-9,51,3.7,,paper,240,1000,200,,dev-8,ldds75,a84041000181c7e2,",
    )
    with pytest.raises(ImportFileError) as refused:
        import_devices_csv(db, path)
    assert refused.value.errors == ("line 3: dev_eui a84041000181c7e2 belongs to device dev-2",)
    assert [row[0] for row in bins(db)] == ["bin-1", "bin-2", "bin-3"]


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ({**feature(), "geometry": {"type": "LineString", "coordinates": [[3, 51], [3, 52]]}},
         "geometry must be a Point"),
        ({**feature(), "geometry": {"type": "Point", "coordinates": [3.7]}},
         "coordinates must be [lon, lat]"),
        ({**feature(), "geometry": {"type": "Point", "coordinates": [200, 51]}},
         "lon must be between -180 and 180, got 200"),
        ({**feature(), "properties": ["bin-2"]}, "properties must be an object"),
        ({"type": "Point", "coordinates": [3.7, 51]}, "not a GeoJSON Feature"),
        (feature(bin_id="bin-2", device_id="dev-2", volume_l="big"),
         "volume_l must be a number, got 'big'"),
        (feature(bin_id="bin-2", device_id="dev-2", full_distance_mm=True),
         "full_distance_mm must be an integer, got True"),
        (feature(bin_id=None, device_id="dev-2"), "bin_id is required"),
        (feature(bin_id="bin-2"), "device dev-1 is already on feature 1"),
    ],
)  # fmt: skip
def test_a_bad_geojson_feature_is_reported_and_nothing_is_written(
    db: psycopg.Connection, tmp_path: Path, bad: object, error: str
) -> None:
    """A bad feature is named by its position (from 1) with what is wrong."""
    with pytest.raises(ImportFileError) as refused:
        import_devices_geojson(db, geojson_file(tmp_path, feature(), bad))
    assert refused.value.errors == (f"feature 2: {error}",)
    assert bins(db) == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{not json", "not JSON"),
        ('{"type": "Feature", "features": []}', "not a GeoJSON FeatureCollection"),
        ("[1, 2]", "not a GeoJSON FeatureCollection"),
    ],
)
def test_a_file_that_is_no_feature_collection_is_refused(
    db: psycopg.Connection, tmp_path: Path, text: str, error: str
) -> None:
    """Only a FeatureCollection is read as GeoJSON."""
    path = tmp_path / "devices.geojson"
    path.write_text(text)
    with pytest.raises(ImportFileError, match=error):
        import_devices_geojson(db, path)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (f"{HEADER}\n{GOOD_ROW}\n".encode("latin-1") + b"bin-\xe9,51,3.7", "not UTF-8 text"),
        (f'{HEADER}\n{GOOD_ROW}\nbin-9,"{"x" * 200_000}"\n'.encode(),
         "line 3: field larger than field limit"),
    ],
)  # fmt: skip
def test_a_file_that_is_no_csv_text_is_refused(
    db: psycopg.Connection, tmp_path: Path, content: bytes, error: str
) -> None:
    """Bytes that are no UTF-8, or a runaway quoted field, end in an error, not a traceback."""
    path = tmp_path / "devices.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=error):
        import_devices_csv(db, path)
