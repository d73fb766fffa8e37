"""Camera files turned into what `upsert_camera` takes: pure functions, no database.

Three inputs (API.md, "Cameras"):

- CSV in Vigie's own columns: `external_id`, `lon`, `lat` required, the others optional;
- GeoJSON: a FeatureCollection of Points whose `properties` use the same names;
- OpenStreetMap `man_made=surveillance` nodes, as Overpass JSON or as a GeoJSON export.

`read()` returns one `Row` per record of the file, in order: either parsed (`external_id`, a
centre slug or None, the camera fields) or skipped, with a stable `reason` (the key counted in
the command's summary) and a `detail` saying exactly what was wrong. A bad record is never
fatal; only a file that cannot be read at all raises `UnreadableFile`.

`city.py` reads Vigie's own columns (and holds the value checks every reader shares),
`osm.py` OpenStreetMap's tags; each says which fields a record sets and which it leaves alone.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from rest_framework.exceptions import ParseError

from cameras.importers.city import Batch, Row, Skip, UnreadableFile, read_csv, read_geojson
from cameras.importers.osm import looks_like_osm, read_osm
from common.parsers import loads_strictly

__all__ = ["FORMATS", "Batch", "Row", "Skip", "UnreadableFile", "guess_format", "read"]

FORMATS = ("csv", "geojson", "osm")


def _decode(raw: bytes) -> tuple[str, str | None]:
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        # Spreadsheets on Windows still save CSV this way; JSON must be UTF-8 (RFC 8259).
        return raw.decode("cp1252"), "the file is not UTF-8: read as Windows-1252"
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"neither UTF-8 nor Windows-1252 text: {exc}") from exc


def _json(text: str) -> Any:
    try:
        return loads_strictly(text)
    except ParseError as exc:
        raise UnreadableFile(str(exc.detail)) from exc


def guess_format(filename: str, text: str) -> str:
    """From the content first (a `.json` may be Overpass or GeoJSON), then the extension."""
    start = text.lstrip()[:1]
    if start == "<":
        raise UnreadableFile("OSM XML is not read: export JSON ([out:json] in Overpass)")
    if start not in ("{", "["):
        return "csv"
    data = _json(text)
    if isinstance(data, list) or (isinstance(data, dict) and "elements" in data):
        return "osm"
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if isinstance(features, list) and any(looks_like_osm(feature) for feature in features[:50]):
            return "osm"
        return "geojson"
    suffix = PurePath(filename).suffix.lower()
    return {".csv": "csv", ".geojson": "geojson"}.get(suffix, "osm")


def read(raw: bytes, *, fmt: str | None = None, filename: str = "") -> Batch:
    """Every row of a camera file; raises UnreadableFile when the file as a whole is not one."""
    text, warning = _decode(raw)
    if not text.strip():
        raise UnreadableFile("the file is empty")
    fmt = fmt or guess_format(filename, text)
    if warning and fmt != "csv":
        raise UnreadableFile("JSON must be UTF-8 (RFC 8259)")
    if fmt == "csv":
        batch = read_csv(text)
    elif fmt == "geojson":
        batch = read_geojson(_json(text))
    elif fmt == "osm":
        batch = read_osm(_json(text))
    else:
        raise UnreadableFile(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if warning:
        batch.warnings.insert(0, warning)
    return batch
