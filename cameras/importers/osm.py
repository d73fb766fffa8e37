"""OpenStreetMap `man_made=surveillance` nodes, from Overpass JSON or a GeoJSON export.

An OSM node always describes the same fields (name, kind, position, heading, field of view,
pan range, height), so a tag removed in OSM is removed here on re-import; it never touches
range, URLs or the PTZ driver, which OSM does not know. Pure functions, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.gis.geos import Point

from cameras.importers.city import (
    Batch,
    Row,
    Skip,
    UnreadableFile,
    feature_point,
    features_of,
    position,
)
from cameras.models import Camera, CameraKind

# A fixed OSM camera's lens: OSM says where a camera points, never how wide it sees. 60° is a
# common fixed surveillance lens (about 4 mm on a 1/3" sensor); wider would claim more
# "in view" links than the camera gives, and operators act on those.
LENS_FOV_DEG = 60.0


_POINTS = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)  # fmt: skip
COMPASS = {name: index * 22.5 for index, name in enumerate(_POINTS)}
_WORDS = {
    "north": "N", "northeast": "NE", "east": "E", "southeast": "SE",
    "south": "S", "southwest": "SW", "west": "W", "northwest": "NW",
}  # fmt: skip
_DEGREES = r"[+-]?\d+(?:\.\d+)?"
_BEARING = rf"{_DEGREES}|[A-Za-z]+"
_RANGE = re.compile(rf"\s*({_BEARING})\s*-\s*({_BEARING})\s*")

# OSM's camera:type values (wiki Key:camera:type) and a few seen in the wild. OSM's "dome" is
# a camera that turns freely under a dome: like our dome, it can show any direction.
OSM_KINDS = {
    "fixed": CameraKind.FIXED,
    "static": CameraKind.FIXED,
    "dome": CameraKind.DOME,
    "360": CameraKind.DOME,
    "panning": CameraKind.PTZ,
    "ptz": CameraKind.PTZ,
    "thermal": CameraKind.THERMAL,
}


def _bearing(text: str) -> float | None:
    """A heading from degrees ("-140" is 220) or a compass point ("NW", "north-east")."""
    text = text.strip()
    if re.fullmatch(_DEGREES, text):
        return float(text) % 360
    key = re.sub(r"[\s_-]", "", text).lower()
    return COMPASS.get(_WORDS.get(key, key.upper()))


@dataclass(frozen=True)
class Direction:
    heading: float | None  # the middle of the arc; None when the arc is a full turn
    sweep: float  # how wide the arc of directions is: 0 for one direction, 360 all round
    ranged: bool  # an explicit a-b range (for a PTZ camera: where it can pan)


def parse_direction(value: str) -> Direction | None:
    """OSM's camera:direction (wiki Key:camera:direction), None when it cannot be read.

    One direction is a heading. A range `a-b` runs clockwise from a to b ("190-100" is the
    270° through west and north, heading 325); `0-360`, or a range whose ends meet, is a
    full turn. Several directions (`90;160;270`, a camera with several lenses) are read as
    the smallest arc that holds them all, heading its middle: 90 to 270, heading 180, sweep
    180. Taking only the first would hide lenses; calling it all round would invent views.
    """
    arcs: list[tuple[float, float]] = []
    ranged = False
    for part in re.split(r"[;,]", value.replace("°", "")):
        if not part.strip():
            continue
        single = _bearing(part)
        if single is not None:
            arcs.append((single, 0.0))
            continue
        match = _RANGE.fullmatch(part)
        start = _bearing(match[1]) if match else None
        end = _bearing(match[2]) if match else None
        if start is None or end is None:
            return None
        arcs.append((start, (end - start) % 360 or 360.0))
        ranged = True
    if not arcs:
        return None
    start, sweep = _covering(arcs)
    if sweep >= 360:
        return Direction(None, 360.0, ranged)
    return Direction((start + sweep / 2) % 360, sweep, ranged)


def _covering(arcs: list[tuple[float, float]]) -> tuple[float, float]:
    """The smallest clockwise arc (start, sweep) holding every arc: the circle less the
    widest gap between them."""
    if any(sweep >= 360 for _, sweep in arcs):
        return 0.0, 360.0
    if len(arcs) == 1:
        return arcs[0]
    spans: list[tuple[float, float]] = []
    for start, sweep in arcs:
        end = start + sweep
        spans += [(start, 360.0), (0.0, end - 360)] if end > 360 else [(start, end)]
    spans.sort()
    merged = [list(spans[0])]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    gaps = [(a[1], b[0] - a[1]) for a, b in zip(merged, merged[1:], strict=False)]
    gaps.append((merged[-1][1], merged[0][0] + 360 - merged[-1][1]))
    gap_start, gap = max(gaps, key=lambda g: g[1])
    if gap <= 0:
        return 0.0, 360.0
    return (gap_start + gap) % 360, 360 - gap


def parse_height(value: str) -> float | None:
    """OSM's height in metres: "5", "5 m", "5m", "2,5", "16 ft"; None when unreadable."""
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*(m|meters?|metres?|ft|feet|')?\s*", value.lower())
    if not match:
        return None
    number = float(match[1].replace(",", "."))
    return round(number * 0.3048, 2) if match[2] in ("ft", "feet", "'") else number


def _values(value: str | None) -> list[str]:
    return [part.strip().lower() for part in (value or "").split(";") if part.strip()]


def osm_kind(value: str | None) -> tuple[str, str | None]:
    """The first known camera:type of a possibly multi-valued tag ("dome;fixed" is a dome);
    an unknown type is a fixed camera, the kind that claims least."""
    for part in _values(value):
        if part in OSM_KINDS:
            return OSM_KINDS[part], None
    if value:
        return CameraKind.FIXED, f"camera:type={value!r} is not a known type: taken as fixed"
    return CameraKind.FIXED, None


def _view(kind: str, direction: Direction | None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "heading_deg": direction.heading if direction else None,
        "fov_deg": None,
        "pan_zero_deg": 0.0,
        "pan_min_deg": -180.0,
        "pan_max_deg": 180.0,
    }
    if kind in (CameraKind.FIXED, CameraKind.THERMAL):
        # No direction: we do not know where it looks, so it may see anything around it
        # (fov 360), rather than be dropped from every report's camera list.
        sweep = 360.0 if direction is None else direction.sweep
        view["fov_deg"] = min(360.0, sweep + LENS_FOV_DEG)
    elif kind == CameraKind.DOME:
        view["fov_deg"] = 360.0
    elif (
        kind == CameraKind.PTZ and direction and direction.ranged and direction.heading is not None
    ):
        # The wiki's range on a panning camera is where it can turn; a single value is only a
        # typical direction and leaves the full turn.
        view["pan_zero_deg"] = direction.heading
        view["pan_min_deg"] = -direction.sweep / 2
        view["pan_max_deg"] = direction.sweep / 2
    return view


def _osm_name(tags: Mapping[str, str], kind: str) -> str:
    name, ref = tags.get("name", "").strip(), tags.get("ref", "").strip()
    if name or ref:
        label = f"{name} ({ref})" if name and ref else name or ref
    else:
        # OSM cameras rarely have a name: say what an operator needs to tell them apart.
        indoor = "indoor " if tags.get("surveillance") == "indoor" else ""
        label = f"{indoor}{CameraKind(kind).label.lower()} camera"
        label = label[0].upper() + label[1:]
        details = [
            f"{what} {tags[key]}"
            for key, what in (("camera:mount", "mount"), ("surveillance:zone", "zone"))
            if tags.get(key)
        ]
        if details:
            label += f" ({', '.join(details)})"
    return label[: Camera._meta.get_field("name").max_length]


def osm_camera(tags: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The fields (without location) of one OSM node, and notes on tags that were ignored.

    Skips what is not a camera. Crowd-mapped tags are messy: an unreadable direction or height
    is noted and left out, never a reason to lose the camera.

    `camera:angle` is deliberately not read. It is a tilt, not a field of view: the angle down
    from the horizontal, 0 level to 90 pointing at the ground (as the Surveillance under
    Surveillance map, which draws these cameras, defines it; the wiki's documented key for the
    same thing is `camera:tilt`). Camera has no tilt for a fixed camera, so there is nowhere to
    put it. Values of 120, 180 or 360 in the sample look like a field of view written in the
    wrong key, but telling those apart would be a guess that invents coverage.
    `camera:mount` and `surveillance:zone` have no field either: they name the camera when OSM
    gives it no `name` or `ref`.
    """
    if tags.get("man_made") != "surveillance":
        raise Skip("not man_made=surveillance", f"man_made={tags.get('man_made')!r}")
    kinds = _values(tags.get("surveillance:type"))
    if kinds and "camera" not in kinds:
        raise Skip("not a camera", f"surveillance:type={tags['surveillance:type']!r}")
    notes: list[str] = []
    kind, note = osm_kind(tags.get("camera:type"))
    notes += [note] if note else []

    direction = None
    for key in ("camera:direction", "direction", "surveillance:direction"):
        if tags.get(key):
            direction = parse_direction(tags[key])
            if direction is None:
                notes.append(f"{key}={tags[key]!r} is not a direction: ignored")
            break
    height = Camera._meta.get_field("height_m").get_default()
    for key in ("height", "camera:height"):
        if tags.get(key):
            parsed = parse_height(tags[key])
            if parsed is None:
                notes.append(f"{key}={tags[key]!r} is not a height in metres: ignored")
            else:
                height = parsed
            break
    fields = {"name": _osm_name(tags, kind), "kind": str(kind), "height_m": height}
    return {**fields, **_view(kind, direction)}, notes


def _tags(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Skip("bad tags", "tags must be an object")
    return {
        str(key): str(value)
        for key, value in raw.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }


def _osm_row(where: str, osm_type: Any, osm_id: Any, tags: Any, locate: Callable[[], Point]) -> Row:
    shown = f"osm:{osm_type}/{osm_id}" if osm_type and osm_id is not None else ""
    try:
        if osm_type != "node":
            raise Skip("not a node", f"a {osm_type or 'typeless element'}: only nodes are cameras")
        if isinstance(osm_id, bool) or not (
            isinstance(osm_id, int) or (isinstance(osm_id, str) and osm_id.isdigit())
        ):
            raise Skip("bad id", f"id={osm_id!r}")
        fields, notes = osm_camera(_tags(tags))
        fields["location"] = locate()
        return Row(where, f"osm:node/{osm_id}", None, fields, notes=tuple(notes))
    except Skip as exc:
        return Row(where, shown, reason=exc.reason, detail=exc.detail)


_OSM_ID = re.compile(r"(node|way|relation)/(\d+)")


def _properties(feature: dict[str, Any]) -> dict[str, Any]:
    properties = feature.get("properties")
    return properties if isinstance(properties, dict) else {}


def looks_like_osm(feature: Any) -> bool:
    if not isinstance(feature, dict):
        return False
    properties = _properties(feature)
    ident = str(feature.get("id") or properties.get("@id") or "")
    return bool(_OSM_ID.fullmatch(ident)) or "man_made" in properties or "tags" in properties


def read_osm(data: Any) -> Batch:
    batch = Batch("osm", [])
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        for index, feature in enumerate(features_of(data), 1):
            batch.rows.append(_osm_feature(f"feature {index}", feature))
        return batch
    if isinstance(data, dict) and isinstance(data.get("elements"), list):
        elements = data["elements"]
    elif isinstance(data, list):  # a bare list of Overpass elements, as some scripts save
        elements = data
    else:
        raise UnreadableFile("expected Overpass JSON ('elements') or a GeoJSON export of OSM")
    for index, element in enumerate(elements, 1):
        where = f"element {index}"
        if not isinstance(element, dict):
            batch.rows.append(Row(where, reason="not a node", detail="not an OSM element"))
            continue
        batch.rows.append(
            _osm_row(
                where,
                element.get("type"),
                element.get("id"),
                element.get("tags"),
                partial(position, element.get("lon"), element.get("lat")),
            )
        )
    return batch


def _osm_feature(where: str, feature: Any) -> Row:
    """A feature of an OSM GeoJSON export: osmtogeojson and overpass turbo put the tags
    straight into `properties` (with `@id`), older exports under `properties.tags`."""
    if not isinstance(feature, dict):
        return Row(where, reason="not a feature", detail="not a GeoJSON Feature")
    properties = _properties(feature)
    ident = str(feature.get("id") or properties.get("@id") or "")
    if not ident and properties.get("type") and properties.get("id") is not None:
        ident = f"{properties['type']}/{properties['id']}"
    match = _OSM_ID.fullmatch(ident)
    if not match:
        return Row(where, reason="bad id", detail=f"id={ident!r}, expected node/<number>")
    if isinstance(properties.get("tags"), dict):
        tags = properties["tags"]
    else:
        tags = {k: v for k, v in properties.items() if not k.startswith("@")}
    return _osm_row(where, match[1], match[2], tags, partial(feature_point, feature))
