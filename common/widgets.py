"""Map widget for geometry fields in the admin, with OpenLayers served from static/vendor/."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.forms.widgets import OSMWidget


class VigieMapWidget(OSMWidget):
    """Django's OSM widget without its CDN: local OpenLayers, the city's configured tiles."""

    template_name = "gis/vigie-openlayers.html"
    default_lon = 2.35
    default_lat = 46.6
    default_zoom = 6

    class Media:
        extend = False  # the parent's Media points at a CDN
        css = {"all": ("vendor/openlayers/ol.css", "gis/css/ol3.css")}
        js = ("vendor/openlayers/ol.js", "gis/js/OLMapWidget.js")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["tiles_url"] = settings.VIGIE_MAP_TILES_URL
        return context
