"""The SIA DC-09 receiver: alarm panels and buttons reporting over TCP (SIA-DCS and ADM-CID).

pysiaalarm reads each frame: header, AES-CBC decryption, SIA-DCS and ADM-CID content, the
timestamp window, the SIA code table. Its asyncio server is not used, because:
- it writes the ACK before calling us, so an alarm would be acknowledged (the panel stops
  retrying) before it is committed; ours leaves after the commit, and a failed commit is not
  answered, so the panel sends the alarm again;
- the frames it refuses never reach us, so they could not be audited;
- it takes each 1,000-byte read for one frame, where TCP may split or join frames;
- its answers are off the standard: `NoneL0` in the ACK of a frame without a receiver number,
  `L0R0` swapped in its NAK, a bare `"NAK"` (no CRC, no time) for an unknown account; and it
  ACKs plaintext frames from an account that has a key.

Answers (ANSI/SIA DC-09-2013 §5.5.3 and its conformance tests, Annex C):
- ACK once the frame is acted on; encrypted (`"*ACK"`, pad, timestamp) for an encrypted one.
- NAK, never encrypted, with our time so the panel can set its clock: a timestamp outside
  +20/-40 s; and, as pysiaalarm does, a frame from an account we do not accept (unknown,
  revoked, undecryptable, or plaintext from an account that has a key: a downgrade).
- DUH, "unable to process an otherwise correctly received message": an unknown SIA code or
  content that does not parse.
- Nothing for a wrong CRC or length (Annex C.2.3.5: its fields cannot be trusted); the panel
  sends it again when its ACK timeout runs out.
Every refused frame is audited (RefusedDeviceRequest, channel "dc09") and creates nothing.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channels.db import database_sync_to_async
from pysiaalarm import SIAAccount
from pysiaalarm.data.data import SIA_CODES
from pysiaalarm.errors import EventFormatError, NoAccountError
from pysiaalarm.event import SIAEvent
from pysiaalarm.utils import MAIN_MATCHER, MessageTypes

from alerts import services
from alerts.models import Alert, AlertKind, Device
from common.errors import DomainError

logger = logging.getLogger(__name__)

# DC-09 §5.5.1.8: a timestamp more than 40 s behind or 20 s ahead of our clock is refused.
TIMEBAND_S = (40, 20)
RELOAD_EVERY_S = 30.0
IDLE_TIMEOUT_S = 120.0  # a panel that holds a connection open and says nothing
MAX_FRAME_BYTES = 2048
# A panel that missed our ACK sends the same frame again (same sequence number): acknowledge
# it again without raising a second alarm (Annex C.2.3.7: each message received only once).
RETRANSMISSION_WINDOW_S = 120.0

ALARM, HEARTBEAT, IGNORE, UNKNOWN = "alarm", "heartbeat", "ignore", "unknown"

SIA_ALARMS = {
    "PA": AlertKind.PANIC,  # panic
    "HA": AlertKind.PANIC,  # hold-up / duress
    "BA": AlertKind.INTRUSION,  # burglary
    "BV": AlertKind.INTRUSION,  # burglary verified
    "MA": AlertKind.MEDICAL,  # medical
    "QA": AlertKind.MEDICAL,  # emergency assistance request
    "FA": AlertKind.FIRE,  # fire
}
SIA_HEARTBEATS = {"RP", "RX"}  # automatic and manual test reports (a NULL link test reads RP)
CID_HEARTBEATS = {"601", "602"}  # manual and periodic test reports


def cid_kind(event_type: int) -> str | None:
    """The alert a Contact ID alarm event (100-199) raises, by its family; None for the rest."""
    if 100 <= event_type <= 109:
        return AlertKind.MEDICAL
    if 110 <= event_type <= 119:
        return AlertKind.FIRE
    if 120 <= event_type <= 129:
        return AlertKind.PANIC
    # 137 is a tamper, a trouble rather than an intrusion; 140 general alarm, 146 silent burglary.
    if (130 <= event_type <= 139 and event_type != 137) or event_type in (140, 146):
        return AlertKind.INTRUSION
    return None


def action_for(message_type: str, code: str, cid: str = "") -> tuple[str, str]:
    """What a report asks of us: (ALARM, kind), (HEARTBEAT, ""), (IGNORE, "") or (UNKNOWN, "").

    `cid` is an ADM-CID report's qualifier and event type ("1120": new panic). Openings,
    closings and restorals are not alarms: acknowledged, no alert. Test reports, like every
    accepted frame, only tell us the device is alive.
    """
    if message_type == MessageTypes.ADMCID.value:
        qualifier, event_type = cid[:1], cid[1:]
        if event_type in CID_HEARTBEATS:
            return HEARTBEAT, ""
        # 1 is a new event; 3 a restoral (or a closing), 6 a condition already reported.
        kind = cid_kind(int(event_type)) if qualifier == "1" and event_type.isdigit() else None
        return (ALARM, kind) if kind else (IGNORE, "")
    code = code.upper()
    if code in SIA_HEARTBEATS:
        return HEARTBEAT, ""
    if code in SIA_ALARMS:
        return ALARM, SIA_ALARMS[code]
    return (IGNORE, "") if code in SIA_CODES else (UNKNOWN, "")


def crc16(text: str) -> int:
    """CRC-16/ARC (polynomial 0x8005 reflected, initial 0), as DC-09 computes it."""
    crc = 0
    for byte in text.encode("ascii"):
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _timestamp() -> str:
    return datetime.now(UTC).strftime("_%H:%M:%S,%m-%d-%Y")


def _framed(body: str) -> bytes:
    return f"\n{crc16(body):04X}{len(body):04X}{body}\r".encode("ascii")


@dataclass(frozen=True)
class Account:
    device_id: int
    sia: SIAAccount


def account_for(device_id: int, number: str, key: str = "") -> Account:
    """A device's DC-09 account; `key` is its AES key in hex, empty for none."""
    sia = SIAAccount(account_id=number, allowed_timeband=TIMEBAND_S)
    # pysiaalarm takes the key's characters for the key bytes (Home Assistant's convention);
    # DC-09 and our registry hold the binary AES key, written in hex.
    sia.key_b = bytes.fromhex(key) if key else None
    return Account(device_id=device_id, sia=sia)


def load_accounts() -> dict[str, Account]:
    """Every device with a DC-09 account, revoked ones included so that their frames are
    audited as theirs. Sync (the ORM)."""
    accounts = {}
    rows = Device.objects.filter(dc09_account__gt="").values_list("pk", "dc09_account", "dc09_key")
    for pk, number, key in rows:
        if not number:
            continue
        try:
            accounts[number.upper()] = account_for(pk, number, key)
        except ValueError:
            logger.warning("DC-09 account %s: its key is not hex; the account is skipped", number)
    return accounts


@dataclass
class Frame:
    """One received frame as understood: what to answer, what to do, or why it is refused."""

    text: str
    match: re.Match[str] | None = None
    claimed: str = ""  # the account the frame names, untrusted until checked
    path: str = ""  # its id token and sequence number, for the audit
    account: Account | None = None
    event: SIAEvent | None = None
    refusal: str = ""
    answer: str | None = "ACK"  # "ACK", "NAK", "DUH", or None: say nothing
    action: str = IGNORE
    kind: str = ""

    def refuse(self, reason: str, answer: str | None) -> Frame:
        self.refusal, self.answer, self.action = reason, answer, IGNORE
        return self

    @property
    def retransmission_key(self) -> tuple[Any, ...]:
        event = self.event
        assert event is not None  # noqa: S101 - only asked of accepted frames
        cid = (event.event_qualifier, event.event_type, event.partition)
        return (self.claimed, self.path, event.code, event.ri, *cid)


def read_frame(text: str, accounts: dict[str, Account]) -> Frame:
    """Check and decode one frame (LF and CR stripped) against the accounts we know."""
    frame = Frame(text=text, match=MAIN_MATCHER.match(text))
    if frame.match is not None:
        fields = frame.match.groupdict()
        frame.claimed = (fields["account"] or "").upper()
        frame.path = (
            f"{fields['encrypted_flag'] or ''}{fields['message_type']} {fields['sequence']}"
        )
        frame.account = accounts.get(frame.claimed)
    header, body = text[:8], text[8:]
    if len(header) < 8 or not all(c in "0123456789abcdefABCDEF" for c in header):
        return frame.refuse("malformed", None)
    if int(header[4:], 16) != len(body):
        return frame.refuse("bad_length", None)
    if int(header[:4], 16) != crc16(body):
        return frame.refuse("bad_crc", None)
    if frame.match is None:
        return frame.refuse("malformed", None)
    if frame.account is None:
        return frame.refuse("unknown_device", "NAK")
    encrypted = bool(frame.match["encrypted_flag"])
    if encrypted != frame.account.sia.encrypted:
        return frame.refuse("undecryptable" if encrypted else "unencrypted", "NAK")
    try:
        frame.event = event = SIAEvent.from_line(text, {frame.match["account"]: frame.account.sia})
    except (EventFormatError, NoAccountError, ValueError):
        # Undecryptable (a wrong key reads as garbage) or content that does not parse.
        return (
            frame.refuse("undecryptable", "NAK") if encrypted else frame.refuse("malformed", "DUH")
        )
    stamp = event.timestamp if isinstance(event.timestamp, datetime) else None
    if encrypted and stamp is None:
        # DC-09 makes the timestamp mandatory in encrypted frames, so a genuine one always has
        # it: without it, a wrong key's garbage happened to parse.
        return frame.refuse("undecryptable", "NAK")
    if not event.valid_timestamp:
        if stamp is None:
            return frame.refuse("malformed", "DUH")
        late = stamp < datetime.now(UTC)
        return frame.refuse("stale_timestamp" if late else "future_timestamp", "NAK")
    cid = f"{event.event_qualifier or ''}{event.event_type or ''}"
    frame.action, frame.kind = action_for(frame.match["message_type"], event.code or "", cid)
    if frame.action == UNKNOWN:
        return frame.refuse("unknown_code", "DUH")
    return frame


def encode_answer(frame: Frame) -> bytes:
    """The framed answer to a frame whose `answer` is set."""
    if frame.answer == "NAK" or frame.match is None:
        return _framed(f'"NAK"0000R0L0A0[]{_timestamp()}')
    fields = frame.match.groupdict()
    head = f"{fields['sequence']}{fields['receiver'] or ''}{fields['line']}#{fields['account']}["
    if frame.answer == "ACK" and fields["encrypted_flag"] and frame.event is not None:
        # encrypt_content pads with "0" up to whole AES blocks: pad|]_timestamp, as DC-09 has it.
        return _framed(f'"*ACK"{head}{frame.event.encrypt_content("|]" + _timestamp())}')
    return _framed(f'"{frame.answer}"{head}]')


@database_sync_to_async
def _audit(frame: Frame, remote: str | None) -> None:
    device = Device.objects.filter(pk=frame.account.device_id).first() if frame.account else None
    services.record_refusal(
        reason=frame.refusal,
        claimed_device=frame.claimed,
        device=device,
        channel=Alert.Channel.DC09,
        path=frame.path,
        remote_address=remote,
    )


@database_sync_to_async
def _settle(frame: Frame, remote: str | None) -> str:
    """Do what an accepted frame asks (every one is a sign of life); returns "" when done,
    else the reason it is refused, audited."""
    assert frame.account is not None  # noqa: S101 - only accepted frames come here
    device = Device.objects.filter(pk=frame.account.device_id).first()
    try:
        if device is None:  # deleted since the accounts were loaded
            raise DomainError(code="unknown_device")
        if frame.action == ALARM:
            alert = services.trigger_alert(device, kind=frame.kind, channel=Alert.Channel.DC09)
            logger.info(
                "DC-09 %s alarm from %s: report %s", frame.kind, frame.claimed, alert.report_id
            )
        else:
            # DC-09 §5.5.2: any message restarts the supervision timer, not only test reports.
            services.record_heartbeat(device)
    except DomainError as refused:
        # The same word as the signed HTTP door uses for a revoked device.
        reason = "revoked" if isinstance(refused, services.DeviceRevoked) else refused.code
        services.record_refusal(
            reason=reason,
            claimed_device=frame.claimed,
            device=device,
            channel=Alert.Channel.DC09,
            path=frame.path,
            remote_address=remote,
        )
        return reason
    return ""


class Receiver:
    """A DC-09 receiver on one TCP port; the accounts are reloaded from the database every
    `reload_every` seconds, so devices registered meanwhile are heard without a restart."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, reload_every: float = 30) -> None:
        self.host, self.port, self.reload_every = host, port, reload_every
        self.address = ""  # "host:port" once listening
        self.accounts: dict[str, Account] = {}
        self.counts = {"frames": 0, "ack": 0, "nak": 0, "duh": 0, "unanswered": 0}
        self._server: asyncio.Server | None = None
        self._reloading: asyncio.Task[None] | None = None
        self._connections: set[asyncio.Task[Any]] = set()
        self._idle: set[asyncio.Task[Any]] = set()
        self._acted: OrderedDict[tuple[Any, ...], float] = OrderedDict()

    async def start(self) -> None:
        await self.reload_accounts()
        self._server = await asyncio.start_server(
            self._serve, self.host, self.port, limit=MAX_FRAME_BYTES
        )
        host, self.port = self._server.sockets[0].getsockname()[:2]
        self.address = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        self._reloading = asyncio.create_task(self._reload_forever())

    async def stop(self) -> None:
        """Stop listening; a frame being acted on is finished and answered first."""
        if self._reloading:
            self._reloading.cancel()
        if self._server:
            self._server.close()
        for task in self._idle:
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=15)

    async def reload_accounts(self) -> int:
        self.accounts = await database_sync_to_async(load_accounts)()
        return len(self.accounts)

    async def _reload_forever(self) -> None:
        while True:
            await asyncio.sleep(self.reload_every)
            try:
                await self.reload_accounts()
            except Exception:
                logger.exception("DC-09: reloading the accounts failed; keeping the old ones")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # noqa: S101
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        remote = peer[0].split("%")[0] if peer else None
        try:
            while True:
                self._idle.add(task)
                try:
                    raw = await asyncio.wait_for(reader.readuntil(b"\r"), IDLE_TIMEOUT_S)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                    break  # closed, a runaway line, or silent too long
                finally:
                    self._idle.discard(task)
                # Anything before the LF that opens a frame is line noise.
                text = raw.decode("ascii", "ignore").rsplit("\n", 1)[-1].strip()
                if not text:
                    continue
                reply = await self._reply(text, remote)
                if reply:
                    writer.write(reply)
                    await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _reply(self, text: str, remote: str | None) -> bytes | None:
        self.counts["frames"] += 1
        try:
            frame = read_frame(text, self.accounts)
            if frame.refusal:
                logger.warning("DC-09 frame refused (%s) from %s: %s", frame.refusal, remote, text)
                await _audit(frame, remote)
            elif not self._seen(frame):
                refused = await _settle(frame, remote)
                if refused:
                    logger.warning("DC-09 frame refused (%s): %s", refused, text)
                    frame.answer = "NAK"
                else:
                    self._remember(frame)
        except Exception:
            # Not acted on for sure: say nothing, so the panel sends it again.
            logger.exception("DC-09: could not act on a frame from %s: %s", remote, text)
            frame = Frame(text=text, answer=None)
        if frame.answer is None:
            self.counts["unanswered"] += 1
            return None
        self.counts[frame.answer.lower()] += 1
        return encode_answer(frame)

    def _seen(self, frame: Frame) -> bool:
        acted_at = self._acted.get(frame.retransmission_key)
        return acted_at is not None and time.monotonic() - acted_at < RETRANSMISSION_WINDOW_S

    def _remember(self, frame: Frame) -> None:
        now = time.monotonic()
        self._acted[frame.retransmission_key] = now
        self._acted.move_to_end(frame.retransmission_key)
        while self._acted and now - next(iter(self._acted.values())) > RETRANSMISSION_WINDOW_S:
            self._acted.popitem(last=False)
