"""A route for the road and the office: GPX 1.1, GeoJSON, CSV and a printable manifest.

Each takes the route's visits in order (`queries.route_sites`: position, kind, site id,
arrival, load after, expected fill, lat, lon, address, waste stream).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

import orjson

from api.ics import stream_title

Site = dict[str, Any]
GPX_NS = "http://www.topografix.com/GPX/1/1"
CSV_COLUMNS = ("position", "kind", "site_id", "address", "waste_stream", "arrival_at",
               "expected_fill_pct", "load_after_l", "lat", "lon")  # fmt: skip


def _point(parent: ElementTree.Element, tag: str, site: Site) -> ElementTree.Element:
    attributes = {"lat": f"{site['lat']:.6f}", "lon": f"{site['lon']:.6f}"}
    point = ElementTree.SubElement(parent, f"{{{GPX_NS}}}{tag}", attributes)
    if tag == "wpt":
        ElementTree.SubElement(point, f"{{{GPX_NS}}}time").text = site["arrival_at"].isoformat()
    ElementTree.SubElement(point, f"{{{GPX_NS}}}name").text = site["site_id"]
    if tag == "wpt":
        ElementTree.SubElement(point, f"{{{GPX_NS}}}type").text = site["kind"]
    return point


def gpx(sites: Sequence[Site], name: str) -> bytes:
    """GPX 1.1: a waypoint per visit (with its planned time), then a route through them."""
    ElementTree.register_namespace("", GPX_NS)
    root = ElementTree.Element(f"{{{GPX_NS}}}gpx", version="1.1", creator="Curbside")
    meta = ElementTree.SubElement(root, f"{{{GPX_NS}}}metadata")
    ElementTree.SubElement(meta, f"{{{GPX_NS}}}name").text = name
    for site in sites:
        _point(root, "wpt", site)
    route = ElementTree.SubElement(root, f"{{{GPX_NS}}}rte")
    ElementTree.SubElement(route, f"{{{GPX_NS}}}name").text = name
    for site in sites:
        _point(route, "rtept", site)
    body: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def geojson(sites: Sequence[Site], properties: dict[str, Any]) -> bytes:
    """The path as a LineString feature (with `properties`), then each visit as a Point."""
    path = [[s["lon"], s["lat"]] for s in sites]
    features: list[dict[str, Any]] = [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": path},
         "properties": properties}
    ]  # fmt: skip
    for s in sites:
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s["lon"], s["lat"]]},
            "properties": {k: v for k, v in s.items() if k not in ("lat", "lon")},
        })  # fmt: skip
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def csv_text(sites: Sequence[Site]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for s in sites:
        writer.writerow(["" if s[c] is None else s[c] for c in CSV_COLUMNS])
    return out.getvalue()


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 11pt sans-serif; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #999; padding: 3px 6px; text-align: left; }}
</style></head>
<body><h1>{title}</h1>
<table><thead><tr><th>#</th><th>time</th><th>address</th><th>stream</th>
<th>expected fill</th><th>notes</th><th>done</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p>{totals}</p></body></html>
"""


def manifest(sites: Sequence[Site], title: str, load_l: float, distance_m: float,
             duration_s: float) -> str:  # fmt: skip
    """A printable page: stop order, time, address, stream, expected fill, notes, totals."""
    rows = []
    for s in sites:
        cells = [
            str(s["position"]),
            f"{s['arrival_at']:%H:%M}",
            s["address"] or s["site_id"],
            stream_title(s["waste_stream"]) if s["waste_stream"] else "",
            "" if s["expected_fill_pct"] is None else f"{s['expected_fill_pct']:.0f} %",
            {"depot": "depot", "disposal": "unload"}.get(s["kind"], ""),
            "",
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    bins = sum(1 for s in sites if s["kind"] == "bin")
    totals = (
        f"Totals: {bins} bins, {load_l:,.0f} l, {distance_m / 1000:.1f} km, "
        f"{duration_s / 3600:.1f} h."
    )
    return _PAGE.format(title=html.escape(title), rows="\n".join(rows), totals=totals)
