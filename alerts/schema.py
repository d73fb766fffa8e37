"""How the OpenAPI schema describes signed device requests (drf-spectacular extension)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DeviceSignatureScheme(OpenApiAuthenticationExtension):
    target_class = "alerts.signing.DeviceSignatureAuthentication"
    name = "deviceSignature"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Signature",
            "description": (
                'Hex HMAC-SHA256 of "{X-Timestamp}.{raw body}" with the device\'s secret, sent '
                "with X-Device-Id and X-Timestamp (Unix seconds, within 300 s)."
            ),
        }


class OptionalDeviceSignatureScheme(DeviceSignatureScheme):
    """The endpoints a device or an app user may call (cancel)."""

    target_class = "alerts.api.OptionalDeviceSignature"
    name = "deviceSignatureOrAppUser"
