from django.apps import AppConfig
from django.conf import settings


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Vigie platform"

    def ready(self) -> None:
        from django.contrib.gis.gdal import GDAL_VERSION

        # gis.W001: GDAL before 3.9 cannot block file and network access while parsing a
        # spatial reference. Vigie never parses one it was sent: geometry arrives as GeoJSON in
        # WGS 84 and a `crs` member is refused (common/geojson.py, tested). So on Debian 12's
        # GDAL 3.6 the warning is silenced; with GDAL 3.9 or later it is not.
        if GDAL_VERSION < (3, 9) and "gis.W001" not in settings.SILENCED_SYSTEM_CHECKS:
            settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "gis.W001"]
