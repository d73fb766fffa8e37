"""Map widget for geometry fields in the admin, with OpenLayers served from static/vendor/."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.gis.forms.widgets import OSMWidget


class VigieMapWidget(OSMWidget):
    """Django's OSM widget without its CDN and without inline code: local OpenLayers, the city's
    configured tiles, and options rendered as JSON that `common/map_widget.js` starts the map
    from (Django's own template writes them as an inline script, which the CSP refuses)."""

    template_name = "gis/vigie-openlayers.html"
    default_lon = 2.35
    default_lat = 46.6
    default_zoom = 6

    class Media:
        extend = False  # the parent's Media points at a CDN
        css = {"all": ("vendor/openlayers/ol.css", "gis/css/ol3.css")}
        js = ("vendor/openlayers/ol.js", "gis/js/OLMapWidget.js", "common/map_widget.js")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["map_options"] = {
            "id": context["id"],
            "map_id": f"{context['id']}_map",
            "name": context["name"],
            "module": context["module"],
            "geom_name": context["geom_type"],
            "map_srid": context["map_srid"],
            "default_lon": context["default_lon"],
            "default_lat": context["default_lat"],
            "default_zoom": context["default_zoom"],
            "tiles_url": settings.VIGIE_MAP_TILES_URL,
        }
        context["map_options_id"] = f"{context['id']}_vigie_map"  # what map_widget.js looks for
        return context
