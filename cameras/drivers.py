"""PTZ drivers: how a pointing order reaches a camera, behind one small interface.

A driver has a `name` and `move(camera, *, pan_deg, tilt_deg, zoom)`, which returns when the
camera accepted the order and raises a `DriverError` (rendered in the contract's error shape)
when it did not. It never touches the database: `cameras.ptz.point_camera` records the order.

- `simulated` (the default): accepts every order and only logs it.
- `onvif`: onvif-zeep-async, `AbsoluteMove` on the first media profile that has a PTZ
  configuration, within `VIGIE_PTZ_TIMEOUT_S` (default 5 s) for the whole exchange.

**Where the camera is.** `Camera.onvif_url` is the device service's address, with the
credentials in it: `http://user:password@host:port/onvif/device_service` (percent-encode
`@ : /` in them; https is accepted; the path may be left out, and no other path is possible
because the library always calls `/onvif/device_service`). Without credentials an empty
WS-Security UsernameToken is sent (the library cannot send none). A later issue moves the
secrets out of this column.

**Degrees to ONVIF's generic spaces.** `AbsoluteMove` is sent in `PositionGenericSpace`,
where pan and tilt run from -1 to 1 and zoom from 0 to 1. Vigie maps them linearly onto the
camera's own limits, which must therefore be its mechanical ones:
x = -1 + 2·(pan − pan_min)/(pan_max − pan_min), y = -1 + 2·(tilt − tilt_min)/(tilt_max −
tilt_min) (so y = -1 looks lowest), zoom = (z − 1)/(zoom_max − 1) (so 0 is wide). A camera
whose generic space is not linear in degrees, or whose zoom position is not linear in
magnification, is pointed approximately.

**Never hanging a request.** The async client runs with `asyncio.run` in a worker thread of
its own (so it works the same from a WSGI thread, an ASGI sync view, a Celery task or a
command), under `asyncio.wait_for`; the caller waits for that thread at most the timeout plus
`CLEANUP_GRACE_S`, whatever happens inside it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from django.conf import settings
from rest_framework import status

from cameras.models import Camera, PtzDriver
from common.errors import DomainError

logger = logging.getLogger(__name__)

CLEANUP_GRACE_S = 1.0
DEVICE_SERVICE_PATH = "/onvif/device_service"
PAN_TILT_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
ZOOM_SPACE = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"


class DriverError(DomainError):
    """The camera did not carry out the order. `command` is set once the order is recorded."""

    status_code = status.HTTP_502_BAD_GATEWAY
    code = "camera_error"
    message = "The camera did not accept the order."
    command: Any = None


class CameraUnreachable(DriverError):
    code = "camera_unreachable"
    message = "The camera cannot be reached."


class CameraTimeout(DriverError):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    code = "camera_timeout"
    message = "The camera did not answer in time."


class PtzNotConfigured(DriverError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "ptz_not_configured"
    message = "This camera's PTZ driver is not configured."


class Driver(Protocol):
    name: str

    def move(self, camera: Camera, *, pan_deg: float, tilt_deg: float, zoom: float) -> None: ...


class SimulatedDriver:
    """Accepts every order; the command row is the whole effect."""

    name: str = PtzDriver.SIMULATED

    def move(self, camera: Camera, *, pan_deg: float, tilt_deg: float, zoom: float) -> None:
        logger.info(
            "simulated PTZ: camera %s to pan %.2f tilt %.2f zoom %.2f",
            camera.pk,
            pan_deg,
            tilt_deg,
            zoom,
        )


def ptz_timeout_s() -> float:
    """`VIGIE_PTZ_TIMEOUT_S`: the longest a pointing order may wait for a camera, in seconds."""
    value = float(settings.VIGIE_PTZ_TIMEOUT_S)
    if not value > 0:
        raise ValueError(f"VIGIE_PTZ_TIMEOUT_S must be positive, not {value!r}")
    return value


# --- ONVIF ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnvifAddress:
    """A camera's device service, from `Camera.onvif_url`."""

    host: str  # what ONVIFCamera takes: a bare host for http, "https://host" for https
    port: int
    user: str
    password: str = field(repr=False)
    where: str  # host:port, for messages: never the credentials


def parse_onvif_url(url: str) -> OnvifAddress:
    """Read `http[s]://user:password@host[:port][/onvif/device_service]`, else raise
    PtzNotConfigured saying what is wrong (without repeating the URL, which holds a secret)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PtzNotConfigured(
            "This camera's onvif_url must be http(s)://user:password@host:port"
            f"{DEVICE_SERVICE_PATH}."
        )
    if parts.path.rstrip("/") not in ("", DEVICE_SERVICE_PATH):
        raise PtzNotConfigured(
            f"This camera's onvif_url must point at {DEVICE_SERVICE_PATH}, the only device "
            "service path the ONVIF client calls."
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise PtzNotConfigured("This camera's onvif_url has an invalid port.") from exc
    hostname = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return OnvifAddress(
        host=f"https://{hostname}" if parts.scheme == "https" else parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        where=f"{hostname}:{port}",
    )


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    """`value` within [low, high] mapped linearly onto [out_low, out_high]; 0 (pan and tilt
    centred, zoom wide) when the axis has no travel at all."""
    if high <= low:
        return 0.0
    share = min(max((value - low) / (high - low), 0.0), 1.0)
    # Four decimals are far finer than any camera, and keep "1e-05" out of the XML.
    return round(out_low + share * (out_high - out_low), 4) + 0.0


def onvif_position(
    camera: Camera, *, pan_deg: float, tilt_deg: float, zoom: float
) -> tuple[float, float, float]:
    """Degrees and magnification to ONVIF's generic position spaces (see the module's doc)."""
    return (
        _scale(pan_deg, camera.pan_min_deg, camera.pan_max_deg, -1.0, 1.0),
        _scale(tilt_deg, camera.tilt_min_deg, camera.tilt_max_deg, -1.0, 1.0),
        _scale(zoom, 1.0, camera.zoom_max, 0.0, 1.0),
    )


def _new_onvif_camera(address: OnvifAddress) -> Any:
    # Imported here: only ONVIF cameras pay for loading zeep, aiohttp and the WSDL machinery.
    from onvif import ONVIFCamera

    # ONVIFCamera() deletes http_proxy/https_proxy from the whole process's environment;
    # put them back so other integrations behind a proxy keep working.
    proxies = {k: os.environ[k] for k in ("http_proxy", "https_proxy") if k in os.environ}
    try:
        # no_cache: the WSDL files are local, so zeep's SQLite cache (a file in the home
        # folder, behind an asyncio.Lock shared by every event loop) would only get in the way.
        return ONVIFCamera(
            address.host, address.port, address.user, address.password, no_cache=True
        )
    finally:
        os.environ.update(proxies)


async def _absolute_move(address: OnvifAddress, x: float, y: float, zoom: float) -> None:
    device = _new_onvif_camera(address)
    try:
        await device.update_xaddrs()
        media = await device.create_media_service()
        ptz = await device.create_ptz_service()
        profiles = await media.GetProfiles()
        token = next(
            (p.token for p in profiles or [] if getattr(p, "PTZConfiguration", None)), None
        )
        if token is None:
            raise DriverError(
                f"The camera at {address.where} has no media profile with a PTZ configuration."
            )
        await ptz.AbsoluteMove(
            {
                "ProfileToken": token,
                "Position": {
                    "PanTilt": {"x": x, "y": y, "space": PAN_TILT_SPACE},
                    "Zoom": {"x": zoom, "space": ZOOM_SPACE},
                },
            }
        )
    finally:
        await device.close()


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _translate(exc: BaseException, address: OnvifAddress, timeout_s: float) -> DriverError:
    """What went wrong, in the contract's terms; anything unforeseen is a `camera_error`."""
    import aiohttp
    import zeep.exceptions
    from onvif.exceptions import ONVIFTimeoutError

    if isinstance(exc, zeep.exceptions.Fault):
        subcodes = " / ".join(q.localname for q in exc.subcodes or [] if hasattr(q, "localname"))
        detail = f"{exc.message} ({subcodes})" if subcodes else exc.message
        return DriverError(f"The camera at {address.where} refused the order: {detail}")
    chain = _chain(exc)
    if any(isinstance(e, TimeoutError | ONVIFTimeoutError) for e in chain):
        return CameraTimeout(
            f"The camera at {address.where} did not answer within {timeout_s:g} s."
        )
    unreachable = next(
        (e for e in chain if isinstance(e, aiohttp.ClientConnectionError | ConnectionError)),
        None,
    )
    if unreachable is not None:
        return CameraUnreachable(f"The camera at {address.where} cannot be reached: {unreachable}")
    logger.warning("unexpected ONVIF failure at %s", address.where, exc_info=exc)
    return DriverError(
        f"Unexpected answer from the camera at {address.where}: {type(exc).__name__}: {exc}"
    )


def run_with_deadline(make: Callable[[], Awaitable[None]], timeout_s: float) -> None:
    """Run `make()` on an event loop of its own in a worker thread, for at most `timeout_s`
    (plus `CLEANUP_GRACE_S` for closing connections); re-raise what it raised, or raise
    TimeoutError if the thread is still busy after that."""
    failure: list[BaseException] = []

    async def bounded() -> None:
        await asyncio.wait_for(make(), timeout_s)

    def work() -> None:
        try:
            asyncio.run(bounded())
        except BaseException as exc:  # carried to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=work, name="vigie-ptz", daemon=True)
    thread.start()
    thread.join(timeout_s + CLEANUP_GRACE_S)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout_s:g} s")
    if failure:
        raise failure[0]


class OnvifDriver:
    name: str = PtzDriver.ONVIF

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def move(self, camera: Camera, *, pan_deg: float, tilt_deg: float, zoom: float) -> None:
        if not camera.onvif_url:
            raise PtzNotConfigured("This camera uses the ONVIF driver but has no onvif_url.")
        address = parse_onvif_url(camera.onvif_url)
        x, y, z = onvif_position(camera, pan_deg=pan_deg, tilt_deg=tilt_deg, zoom=zoom)
        try:
            run_with_deadline(lambda: _absolute_move(address, x, y, z), self.timeout_s)
        except DriverError:
            raise
        except Exception as exc:
            raise _translate(exc, address, self.timeout_s) from exc


def driver_for(camera: Camera) -> Driver:
    if camera.ptz_driver == PtzDriver.SIMULATED:
        return SimulatedDriver()
    if camera.ptz_driver == PtzDriver.ONVIF:
        return OnvifDriver(ptz_timeout_s())
    raise PtzNotConfigured(f"Unknown PTZ driver {camera.ptz_driver!r}.")
