"""OASIS CAP 1.2 documents and their Atom index (API.md, "Interoperability"; issue 8).

Pure functions from values to bytes: no query runs here (notifications.cap_api reads the rows
and decides who may see what). Every document is built with ElementTree, which escapes `&`,
`<` and `>`; the characters XML 1.0 cannot carry at all (most C0 controls) are replaced first,
so a title pasted with a stray control character still gives a well-formed document.

CAP rules the schema does not check and these builders keep (CAP 1.2, section 3):
- times have a numeric offset and no fractional seconds, UTC written `-00:00`;
- `identifier` and `sender` have no spaces, commas, `<` or `&`;
- a polygon is "lat,lon" pairs (latitude first) separated by spaces, at least four pairs,
  first and last the same; a circle is "lat,lon radius" with the radius in kilometres.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # builds only; nothing here parses XML
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.gis.geos import MultiPolygon, Point
from django.utils import timezone

from notifications.models import Broadcast

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
ATOM_MEDIA_TYPE = "application/atom+xml"

# A critical report's position leaves Vigie rounded to 3 decimals of a degree (at most ~70 m
# from the true point at Paris's latitude, ~80 m at the equator) inside a circle of 100 m
# radius, which therefore always holds the true point without pinning a door.
REPORT_DECIMALS = 3
REPORT_RADIUS_KM = 0.1

# Report categories (reporting.categories, by code) as CAP categories. Codes a city adds
# itself are "Safety": everything Vigie handles is a matter of public safety.
REPORT_CAP_CATEGORIES: dict[str, tuple[str, ...]] = {
    "assault": ("Security",),
    "theft": ("Security",),
    "burglary": ("Security",),
    "drug_trafficking": ("Security",),
    "illegal_dumping": ("Env",),
    "dangerous_parking": ("Transport",),
    "traffic_violation": ("Transport",),
    "motorbike_rodeo": ("Security", "Transport"),
    "fight": ("Security",),
    "street_harassment": ("Security",),
    "person_in_distress": ("Rescue", "Health"),
    "crowd": ("Safety",),
    "suspicious_package": ("Security", "CBRNE"),
    "fire": ("Fire",),
    "damaged_street_furniture": ("Infra",),
    "other": ("Other",),
    "panic_alarm": ("Security",),
    "intrusion_alarm": ("Security",),
    "medical_alarm": ("Health", "Rescue"),
    "call_point_call": ("Safety",),
    "duress_alarm": ("Security",),
}
DEFAULT_CAP_CATEGORIES = ("Safety",)

# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def cap_time(moment: datetime) -> str:
    """CAP's dateTime: local time with its offset, whole seconds, UTC as `-00:00`."""
    text = timezone.localtime(moment).replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def atom_time(moment: datetime) -> str:
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def _number(value: float, decimals: int = 6) -> str:
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _pair(lon: float, lat: float, decimals: int = 6) -> str:
    return f"{_number(lat, decimals)},{_number(lon, decimals)}"  # CAP: latitude first


def cap_polygons(area: MultiPolygon) -> list[str]:
    """One CAP polygon per part: its outer ring, closed as GEOS keeps it. CAP has no holes; an
    area with a hole is announced as its outline (a warning may reach a little too far, never
    too short)."""
    # `coords` of a MultiPolygon: per polygon, its rings, the outer one first.
    return [" ".join(_pair(lon, lat) for lon, lat in rings[0]) for rings in area.coords]


def cap_circle(point: Point) -> str:
    """The rounded position and the 100 m radius that always holds the true point."""
    return (
        f"{_pair(point.x, point.y, REPORT_DECIMALS)} {_number(REPORT_RADIUS_KM, REPORT_DECIMALS)}"
    )


def _clean(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = _clean(text)
    return element


def _root(tag: str, namespace: str) -> ET.Element:
    # The namespace as a plain `xmlns` attribute on the root: every element below is in it,
    # without ElementTree's process-wide prefix registry.
    return ET.Element(tag, xmlns=namespace)


def _serialise(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _alert(
    *, identifier: str, sender: str, sent: datetime, scope: str, restriction: str = ""
) -> ET.Element:
    alert = _root("alert", CAP_NS)
    _add(alert, "identifier", identifier)
    _add(alert, "sender", sender)
    _add(alert, "sent", cap_time(sent))
    _add(alert, "status", "Actual")
    _add(alert, "msgType", "Alert")
    _add(alert, "scope", scope)
    if restriction:
        _add(alert, "restriction", restriction)
    return alert


def broadcast_identifier(broadcast: Broadcast) -> str:
    return f"vigie:{broadcast.centre.slug}:broadcast:{broadcast.pk}"


def broadcast_alert(broadcast: Broadcast, *, sender: str) -> bytes:
    """A supervisor's area broadcast as a public CAP alert (it already went to residents)."""
    centre = broadcast.centre
    alert = _alert(
        identifier=broadcast_identifier(broadcast),
        sender=sender,
        sent=broadcast.created_at,
        scope="Public",
    )
    info = _add(alert, "info")
    _add(info, "language", "fr-FR")
    _add(info, "category", "Safety")
    _add(info, "event", "Message du centre de supervision urbaine")
    # In force from the moment it is sent until it expires; a supervisor wrote it.
    _add(info, "urgency", "Immediate")
    _add(info, "severity", broadcast.severity)
    _add(info, "certainty", "Observed")
    _add(info, "expires", cap_time(broadcast.expires_at))
    _add(info, "senderName", centre.name)
    _add(info, "headline", broadcast.title)
    _add(info, "description", broadcast.body)
    area = _add(info, "area")
    _add(area, "areaDesc", broadcast.area_description or f"Zone de diffusion — {centre.name}")
    for polygon in cap_polygons(broadcast.area):
        _add(area, "polygon", polygon)
    return _serialise(alert)


@dataclass(frozen=True)
class CriticalReport:
    """What of a critical report may leave Vigie: no description, no author, no exact point."""

    pk: int
    reference: str
    centre_slug: str
    centre_name: str
    category_code: str
    label_fr: str
    label_en: str
    location: Point
    created_at: datetime


def report_identifier(report: CriticalReport) -> str:
    return f"vigie:{report.centre_slug}:report:{report.pk}"


_REPORT_TEXTS = {
    "fr-FR": {
        "headline": "Alerte critique : {label} ({reference})",
        "area": "Position arrondie : dans un rayon de 100 m",
    },
    "en-US": {
        "headline": "Critical alert: {label} ({reference})",
        "area": "Rounded position: within 100 m",
    },
}


def report_alert(report: CriticalReport, *, sender: str) -> bytes:
    """A critical report as a restricted CAP alert, for the staff of its centre only.

    Privacy: the description (free text that may name or describe people) is left out, and
    the position is rounded to ~100 m and sent as a 100 m circle; the author, the source
    device and the media never appear.
    """
    alert = _alert(
        identifier=report_identifier(report),
        sender=sender,
        sent=report.created_at,
        scope="Restricted",
        restriction=(
            f"Réservé aux agents habilités du {report.centre_name} ; ne pas rediffuser. "
            f"Authorised staff of {report.centre_name} only; do not redistribute."
        ),
    )
    _add(
        alert,
        "note",
        "Position arrondie à ~100 m, description omise (données personnelles). "
        "Position rounded to ~100 m, description withheld (personal data).",
    )
    categories = REPORT_CAP_CATEGORIES.get(report.category_code, DEFAULT_CAP_CATEGORIES)
    for language, label in (("fr-FR", report.label_fr), ("en-US", report.label_en)):
        texts = _REPORT_TEXTS[language]
        info = _add(alert, "info")
        _add(info, "language", language)
        for category in categories:
            _add(info, "category", category)
        _add(info, "event", label)
        # A signal someone raised, not yet confirmed by the centre: likely, not observed.
        _add(info, "urgency", "Immediate")
        _add(info, "severity", "Severe")
        _add(info, "certainty", "Likely")
        _add(info, "senderName", report.centre_name)
        _add(info, "headline", texts["headline"].format(label=label, reference=report.reference))
        area = _add(info, "area")
        _add(area, "areaDesc", texts["area"])
        _add(area, "circle", cap_circle(report.location))
    return _serialise(alert)


@dataclass(frozen=True)
class FeedEntry:
    """One CAP document listed in the Atom index."""

    id: str
    title: str
    updated: datetime
    author: str
    link: str
    summary: str = ""


def atom_index(
    entries: Sequence[FeedEntry], *, feed_id: str, self_link: str, title: str, now: datetime
) -> bytes:
    """An Atom (RFC 4287) feed whose entries link to CAP documents (`rel="alternate"`,
    `type="application/cap+xml"`), the shape CAP aggregators poll."""
    feed = _root("feed", ATOM_NS)
    _add(feed, "id", feed_id)
    _add(feed, "title", title)
    updated = max((entry.updated for entry in entries), default=now)
    _add(feed, "updated", atom_time(updated))
    _add(_add(feed, "author"), "name", "Vigie")
    _link(feed, href=self_link, rel="self", media_type=ATOM_MEDIA_TYPE)
    for entry in entries:
        item = _add(feed, "entry")
        _add(item, "id", entry.id)
        _add(item, "title", entry.title)
        _add(item, "updated", atom_time(entry.updated))
        _add(_add(item, "author"), "name", entry.author)
        _link(item, href=entry.link, rel="alternate", media_type=CAP_MEDIA_TYPE)
        if entry.summary:
            _add(item, "summary", entry.summary)
    return _serialise(feed)


def _link(parent: ET.Element, *, href: str, rel: str, media_type: str) -> None:
    link = _add(parent, "link")
    link.set("rel", rel)
    link.set("type", media_type)
    link.set("href", _clean(href))


def entries_sorted(entries: Iterable[FeedEntry]) -> list[FeedEntry]:
    return sorted(entries, key=lambda entry: entry.updated, reverse=True)
