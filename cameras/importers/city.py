"""Vigie's own camera files: CSV columns and GeoJSON properties named as in API.md, and the
value checks every reader shares. Pure functions, no database.

What a record says is applied, what it does not mention is left alone: an absent column or
property leaves that field of an existing camera as it is; an empty one resets it to the
model's default. Limits and choices are read from the Camera model itself.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import FloatField
from rest_framework import serializers

from cameras.models import Camera
from common.geojson import parse_point

# Vigie's own columns (API.md), then what a city's PTZ cameras also need, under the model's
# names: the contract leaves anything it does not name to the project.
CITY_FIELDS = (
    "name", "kind", "heading_deg", "fov_deg", "range_m", "height_m",
    "stream_url", "snapshot_url", "ptz_driver", "onvif_url",
)  # fmt: skip
EXTRA_FIELDS = (
    "status", "vms_ref", "pan_zero_deg", "pan_min_deg", "pan_max_deg",
    "tilt_min_deg", "tilt_max_deg", "zoom_max",
)  # fmt: skip
KNOWN_COLUMNS = frozenset({"external_id", "centre", "lon", "lat", *CITY_FIELDS, *EXTRA_FIELDS})


class UnreadableFile(Exception):
    """The file as a whole cannot be read: not UTF-8, not JSON, not the expected shape."""


class Skip(Exception):  # noqa: N818 - a row outcome, not an error of the program
    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class Row:
    where: str  # "line 7", "feature 3", "element 12": how a person finds it in the file
    external_id: str = ""
    centre: str | None = None  # a slug named by the row itself
    fields: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # set when the row is skipped
    detail: str = ""
    notes: tuple[str, ...] = ()  # values ignored without losing the camera (OSM tags)

    @property
    def skipped(self) -> bool:
        return bool(self.reason)


@dataclass
class Batch:
    format: str
    rows: list[Row]
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Values


def _number(name: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise Skip(f"non-numeric {name}", f"{name}={raw!r}")
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(text, str) and re.fullmatch(r"[+-]?\d+,\d+", text):
        text = text.replace(",", ".")  # a French spreadsheet's decimal comma
    try:
        value = float(text)
    except (ValueError, OverflowError):
        raise Skip(f"non-numeric {name}", f"{name}={raw!r}") from None
    if not math.isfinite(value):
        raise Skip(f"non-numeric {name}", f"{name}={raw!r}")
    return value


def _limits(model_field: Any) -> tuple[float | None, float | None]:
    low = high = None
    for validator in model_field.validators:
        if isinstance(validator, MinValueValidator):
            low = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            high = validator.limit_value
    return low, high


def city_value(name: str, raw: Any) -> Any:
    """One column of Vigie's format, checked against the model's own limits and choices.

    Empty means the model's default. A heading is an angle, so -90 is read as 270.
    """
    model_field: Any = Camera._meta.get_field(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return model_field.get_default()
    if isinstance(model_field, FloatField):
        value = _number(name, raw)
        if name == "heading_deg":
            value %= 360
        low, high = _limits(model_field)
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"{'' if low is None else low}..{'' if high is None else high}"
            raise Skip(f"{name} out of range", f"{name}={raw!r}, expected {bounds}")
        return value
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)  # a GeoJSON name may be a bare number
    if not isinstance(raw, str):
        raise Skip(f"bad {name}", f"{name}={raw!r} is not text")
    text = raw.strip()
    if model_field.choices:
        choices = [str(choice) for choice, _ in model_field.choices]
        if text.lower() not in choices:
            raise Skip(f"unknown {name}", f"{name}={raw!r}, expected one of {', '.join(choices)}")
        return text.lower()
    if model_field.max_length and len(text) > model_field.max_length:
        raise Skip(f"{name} too long", f"{len(text)} characters, at most {model_field.max_length}")
    return text


def _external_id(raw: Any) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if raw is not None and not isinstance(raw, str):
        raise Skip("bad external_id", f"external_id={raw!r} is not text")
    text = (raw or "").strip()
    if not text:
        raise Skip("missing external_id")
    limit = Camera._meta.get_field("external_id").max_length
    if limit and len(text) > limit:
        raise Skip("external_id too long", f"{len(text)} characters, at most {limit}")
    return text


def _centre_slug(raw: Any) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise Skip("unknown centre", f"centre={raw!r} is not a slug")
    return (raw or "").strip() or None


def _checked(lon: float, lat: float) -> Point:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Skip("out of range lat/lon", f"lon={lon}, lat={lat}")
    if lon == 0 and lat == 0:
        raise Skip("bad coordinates", "0,0 is the usual placeholder for a missing position")
    return Point(lon, lat, srid=4326)


def position(lon: Any, lat: Any) -> Point:
    if lon is None or lat is None or lon == "" or lat == "":
        raise Skip("bad coordinates", "lon and lat are both required")
    try:
        return _checked(_number("lon", lon), _number("lat", lat))
    except Skip as exc:
        if exc.reason.startswith("non-numeric"):
            raise Skip("bad coordinates", exc.detail) from None
        raise


def feature_point(feature: Mapping[str, Any]) -> Point:
    geometry = feature.get("geometry")
    if geometry is None:
        raise Skip("bad coordinates", "the feature has no geometry")
    if isinstance(geometry, dict) and geometry.get("type") not in (None, "Point"):
        raise Skip("not a point", f"the geometry is a {geometry.get('type')}")
    try:
        point = parse_point(geometry)
    except serializers.ValidationError as exc:
        codes = exc.get_codes()
        message = str(exc.detail[0]) if isinstance(exc.detail, list) else str(exc.detail)
        if "out_of_range" in (codes if isinstance(codes, list) else [codes]):
            raise Skip("out of range lat/lon", message) from None
        raise Skip("bad coordinates", message) from None
    return _checked(point.x, point.y)


def city_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: city_value(name, record[name])
        for name in (*CITY_FIELDS, *EXTRA_FIELDS)
        if name in record
    }


# ---------------------------------------------------------------------------------------------
# Vigie's own CSV and GeoJSON


def read_csv(text: str) -> Batch:
    header_line = text.split("\n", 1)[0]
    # Column names hold none of these; a French spreadsheet saves with ';'.
    delimiter = max(",;\t", key=header_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise UnreadableFile(f"line 1: {exc}") from exc
    if not header:
        raise UnreadableFile("the file is empty")
    columns = [(name or "").strip().lower() for name in header]
    if len(set(columns)) != len(columns):
        raise UnreadableFile(f"a column is named twice: {', '.join(columns)}")
    missing = [name for name in ("external_id", "lon", "lat") if name not in columns]
    if missing:
        raise UnreadableFile(
            f"missing column(s) {', '.join(missing)}; the header is: {', '.join(columns)}"
        )
    reader.fieldnames = columns
    batch = Batch("csv", [])
    unknown = [name for name in columns if name not in KNOWN_COLUMNS]
    if unknown:
        batch.warnings.append(f"columns ignored (not camera fields): {', '.join(unknown)}")
    try:
        for record in reader:
            batch.rows.append(_csv_row(f"line {reader.line_num}", record, len(columns)))
    except csv.Error as exc:
        raise UnreadableFile(f"line {reader.line_num}: {exc}") from exc
    return batch


def _csv_row(where: str, record: dict[Any, Any], width: int) -> Row:
    shown = str(record.get("external_id") or "").strip()
    try:
        if None in record:
            cells = width + len(record[None])
            raise Skip("malformed row", f"{cells} cells for {width} columns")
        external_id = _external_id(record.get("external_id"))
        location = position(record.get("lon"), record.get("lat"))
        fields = {"location": location, **city_fields(record)}
        return Row(where, external_id, _centre_slug(record.get("centre")), fields)
    except Skip as exc:
        return Row(where, shown, reason=exc.reason, detail=exc.detail)


def features_of(data: Any) -> list[Any]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise UnreadableFile("expected a GeoJSON FeatureCollection")
    if "crs" in data:
        raise UnreadableFile("a 'crs' member is not accepted: coordinates are WGS 84 (RFC 7946)")
    features = data.get("features")
    if not isinstance(features, list):
        raise UnreadableFile("'features' must be a list")
    return features


def read_geojson(data: Any) -> Batch:
    batch = Batch("geojson", [])
    unknown: set[str] = set()
    for index, feature in enumerate(features_of(data), 1):
        where = f"feature {index}"
        properties = feature.get("properties") if isinstance(feature, dict) else None
        shown = str(properties.get("external_id") or "") if isinstance(properties, dict) else ""
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise Skip("not a feature", "each member of 'features' must be a Feature")
            if not isinstance(properties, dict):
                raise Skip("missing external_id", "the feature has no properties")
            unknown |= properties.keys() - (KNOWN_COLUMNS - {"lon", "lat"})
            external_id = _external_id(properties.get("external_id"))
            fields = {"location": feature_point(feature), **city_fields(properties)}
            centre = _centre_slug(properties.get("centre"))
            batch.rows.append(Row(where, external_id, centre, fields))
        except Skip as exc:
            batch.rows.append(Row(where, shown, reason=exc.reason, detail=exc.detail))
    if unknown:
        ignored = ", ".join(sorted(unknown))
        batch.warnings.append(f"properties ignored (not camera fields): {ignored}")
    return batch
