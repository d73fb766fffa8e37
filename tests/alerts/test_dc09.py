"""The SIA DC-09 receiver, spoken to as a panel would: real frames over a real TCP socket.

Frames are built here from the standard (CRC-16/ARC, 0LLL length, id token, sequence,
receiver and line, account, AES-CBC with a zero IV over pad|…, timestamp), not with
pysiaalarm or the receiver's helpers; the CRC is checked against frames captured from real
panels and a real receiver. The decisions are first tested frame by frame (`read_frame`, no
database), then through the socket: the answer bytes, and the rows made or not made.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from Crypto.Cipher import AES
from django.conf import settings

from alerts import dc09
from alerts.dc09 import Receiver, account_for, action_for, encode_answer, read_frame
from alerts.models import Alert, RefusedDeviceRequest
from alerts.services import revoke_device
from reporting.models import Report
from tests.factories import database_url_for_servers, device_at

# The receiver reaches the database from its own thread: the rows must be committed.
committed = pytest.mark.django_db(transaction=True)

KEY_128 = "8d3c1f0e5a7b29c4d6e8f0a1b2c3d4e5"
KEY_256 = "4f1e2d3c5b6a79880716253443526170" + "a9b8c7d6e5f40312213041526374859a"


def crc16(text: str) -> int:
    """CRC-16/ARC: reflected polynomial 0xA001, initial value 0."""
    crc = 0
    for byte in text.encode("ascii"):
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def frame(
    account: str,
    data: str | None,
    *,
    message_type: str = "",
    seq: str = "0001",
    key: str = "",
    at: datetime | None = None,
) -> bytes:
    """One DC-09 frame; `data` is the event ("Nri1/PA501", "1120 01 003"), None for NULL."""
    message_type = message_type or ("SIA-DCS" if data is not None else "NULL")
    stamp = (at or datetime.now(UTC)).strftime("_%H:%M:%S,%m-%d-%Y")
    content = (f"#{account}|{data}]" if data is not None else "]") + stamp
    if key:
        plain = "|" + content
        padded = "x" * (16 - len(plain) % 16) + plain  # any pad but | [ ]
        sealed = AES.new(bytes.fromhex(key), AES.MODE_CBC, iv=bytes(16)).encrypt(padded.encode())
        body = f'"*{message_type}"{seq}R0L0#{account}[{sealed.hex().upper()}'
    else:
        body = f'"{message_type}"{seq}R0L0#{account}[{content}'
    return f"\n{crc16(body):04X}{len(body):04X}{body}\r".encode("ascii")


def unframe(raw: bytes) -> str:
    """The body of an answer, after checking its CRC and length."""
    text = raw.decode("ascii").strip("\n\r")
    header, body = text[:8], text[8:]
    assert int(header[:4], 16) == crc16(body), raw
    assert int(header[4:], 16) == len(body), raw
    return body


def nak_time(body: str) -> datetime:
    """The time a NAK carries; fails unless `body` is a NAK as the standard writes it."""
    stamp = re.fullmatch(r'"NAK"0000R0L0A0\[\]_(\d\d:\d\d:\d\d,\d\d-\d\d-\d{4})', body)
    assert stamp, body
    return datetime.strptime(stamp[1], "%H:%M:%S,%m-%d-%Y").replace(tzinfo=UTC)


def now_ish(moment: datetime) -> bool:
    return abs(moment - datetime.now(UTC)) < timedelta(seconds=5)


def read_answers(sock: socket.socket, count: int) -> list[str]:
    received = b""
    while received.count(b"\r") < count:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed after {received!r}"
        received += chunk
    return [unframe(raw + b"\r") for raw in received.split(b"\r")[:count]]


class RunningReceiver:
    """The receiver on its own event loop in a thread, as the command runs it."""

    def __init__(self) -> None:
        self.receiver = Receiver("127.0.0.1", 0, reload_every=3600)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coroutine):  # noqa: ANN001, ANN201
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def reload(self) -> int:
        return self.run(self.receiver.reload_accounts())

    def exchange(self, *pieces: bytes, answers: int = 1) -> list[str]:
        """Write each piece in its own TCP write (a frame, several, or part of one), then read
        `answers` answers: their bodies, CRC and length checked."""
        with socket.create_connection(("127.0.0.1", self.receiver.port), timeout=5) as sock:
            for piece in pieces:
                sock.sendall(piece)
                time.sleep(0.02 if len(pieces) > 1 else 0)
            return read_answers(sock, answers)


@pytest.fixture
def panel(paris):
    return device_at(paris, name="Bijouterie rue de Rivoli", dc09_account="1234")


@pytest.fixture
def sealed_point(paris):
    return device_at(
        paris, kind="call_point", name="Borne Archives", dc09_account="5A7E", dc09_key=KEY_128
    )


@pytest.fixture
def receiver(panel, sealed_point):
    running = RunningReceiver()
    running.thread.start()
    running.run(running.receiver.start())
    yield running
    running.run(running.receiver.stop())
    running.loop.call_soon_threadsafe(running.loop.stop)
    running.thread.join(timeout=5)
    running.loop.close()


def assert_nothing_created() -> None:
    assert (Report.objects.count(), Alert.objects.count()) == (0, 0)


# --- the frames and the decisions, without a database ------------------------------------------

# Captured from real equipment (quoted in public receiver code): a receiver's NAK, a Prosec
# panel's test report and a Hikvision panel's Contact ID test report.
KNOWN_GOOD = [
    'E5630025"NAK"0000R0L0A0[]_10:10:18,07-30-2024',
    'B4330036"SIA-DCS"0442L000#36214[36214|NRP]_00:00:00,02-21-2024',
    '99820040"ADM-CID"1937R15L1#21401[#21401|1602 00 000]_20:59:59,02-20-2024',
]


@pytest.mark.parametrize("captured", KNOWN_GOOD)
def test_the_crc_agrees_with_frames_from_real_equipment(captured):
    assert crc16("123456789") == dc09.crc16("123456789") == 0xBB3D  # CRC-16/ARC check value
    header, body = captured[:8], captured[8:]
    assert f"{crc16(body):04X}{len(body):04X}" == header
    assert f"{dc09.crc16(body):04X}" == header[:4]


def test_a_real_panels_frame_passes_the_checks_and_is_refused_only_for_its_age():
    read = read_frame(KNOWN_GOOD[2], {"21401": account_for(1, "21401")})

    assert (read.refusal, read.answer, read.claimed) == ("stale_timestamp", "NAK", "21401")
    assert (read.event.event_qualifier, read.event.event_type, read.event.ri) == ("1", "602", "000")


ACCOUNTS = {"1234": account_for(1, "1234"), "5A7E": account_for(2, "5A7E", KEY_128)}
AGO, AHEAD = timedelta(minutes=-5), timedelta(minutes=5)


def altered(sent: bytes, old: bytes, new: bytes) -> bytes:
    return sent.replace(old, new, 1)


def miscounted(sent: bytes) -> bytes:
    """The frame with its length field one too many (LF, 4 CRC digits, then 4 length digits)."""
    return sent[:5] + f"{int(sent[5:9], 16) + 1:04X}".encode() + sent[9:]


# Built when the test runs: a frame made at collection time would be stale by then.
FAULTY = {
    "bad_crc": (lambda: altered(frame("1234", "Nri1/PA501"), b"PA501", b"PA502"), None),
    "bad_length": (lambda: miscounted(frame("1234", "Nri1/PA501")), None),
    "malformed": (lambda: b"\nhello\r", None),
    "unknown_device": (lambda: frame("9999", "Nri1/PA501"), "NAK"),
    "stale_timestamp": (lambda: frame("1234", "Nri1/PA501", at=datetime.now(UTC) + AGO), "NAK"),
    "future_timestamp": (lambda: frame("1234", "Nri1/PA501", at=datetime.now(UTC) + AHEAD), "NAK"),
    # Plaintext from an account that has a key: a downgrade, refused.
    "unencrypted": (lambda: frame("5A7E", "Nri1/PA501"), "NAK"),
    "wrong_key": (lambda: frame("5A7E", "Nri1/PA501", key=KEY_256[:32]), "NAK"),
    "sealed_without_key": (lambda: frame("1234", "Nri1/PA501", key=KEY_128), "NAK"),
    "unknown_code": (lambda: frame("1234", "Nri1/ZX501"), "DUH"),
    "bad_contact_id": (lambda: frame("1234", "1120 1 3", message_type="ADM-CID"), "DUH"),
}
REASONS = {"wrong_key": "undecryptable", "sealed_without_key": "undecryptable"}
REASONS |= {"bad_contact_id": "malformed"}


@pytest.mark.parametrize("fault", FAULTY)
def test_each_faulty_frame_is_refused_with_the_standards_answer(fault):
    build, answer = FAULTY[fault]

    read = read_frame(build().decode("ascii").strip(), ACCOUNTS)

    assert (read.refusal, read.answer, read.action) == (REASONS.get(fault, fault), answer, "ignore")
    if answer == "NAK":
        assert now_ish(nak_time(unframe(encode_answer(read))))
    if answer == "DUH":
        assert unframe(encode_answer(read)) == '"DUH"0001R0L0#1234[]'


@pytest.mark.parametrize("key", [KEY_128, "0123456789abcdef" * 3, KEY_256])
def test_frames_sealed_with_128_192_and_256_bit_keys_are_read(key):
    sent = frame("C0FFEE", "Nri1/HA002", key=key).decode().strip()

    read = read_frame(sent, {"C0FFEE": account_for(3, "C0FFEE", key)})

    assert (read.refusal, read.action, read.kind, read.event.ri) == ("", "alarm", "panic", "1")


@pytest.mark.parametrize(
    ("message_type", "code", "cid", "expected"),
    [
        ("SIA-DCS", "PA", "", ("alarm", "panic")),
        ("SIA-DCS", "HA", "", ("alarm", "panic")),  # hold-up, duress
        ("SIA-DCS", "BA", "", ("alarm", "intrusion")),
        ("SIA-DCS", "MA", "", ("alarm", "medical")),
        ("SIA-DCS", "FA", "", ("alarm", "fire")),
        ("SIA-DCS", "RP", "", ("heartbeat", "")),
        ("SIA-DCS", "OP", "", ("ignore", "")),
        ("SIA-DCS", "PH", "", ("ignore", "")),  # panic restoral
        ("SIA-DCS", "TA", "", ("ignore", "")),  # tamper: a trouble, not an alarm
        ("SIA-DCS", "ZX", "", ("unknown", "")),
        ("ADM-CID", "PA", "1120", ("alarm", "panic")),
        ("ADM-CID", "YN", "1123", ("alarm", "panic")),  # audible panic: pysiaalarm maps no code
        ("ADM-CID", "HA", "1121", ("alarm", "panic")),  # duress
        ("ADM-CID", "MA", "1100", ("alarm", "medical")),
        ("ADM-CID", "QA", "1101", ("alarm", "medical")),
        ("ADM-CID", "FA", "1110", ("alarm", "fire")),
        ("ADM-CID", "BA", "1130", ("alarm", "intrusion")),
        ("ADM-CID", "TA", "1137", ("ignore", "")),
        ("ADM-CID", "PH", "3120", ("ignore", "")),  # restoral
        ("ADM-CID", "PA", "6120", ("ignore", "")),  # already reported, still present
        ("ADM-CID", "OP", "1401", ("ignore", "")),
        ("ADM-CID", "RP", "1602", ("heartbeat", "")),
        ("ADM-CID", "RX", "1601", ("heartbeat", "")),
    ],
)
def test_event_codes_map_to_alert_kinds(message_type, code, cid, expected):
    assert action_for(message_type, code, cid) == expected


# --- through the socket: accepted frames ------------------------------------------------------


@committed
def test_a_panic_frame_becomes_one_critical_alert_acknowledged_after_commit(receiver, panel):
    sent = frame("1234", "Nri1/PA501", seq="0007")

    answers = receiver.exchange(sent[:20], sent[20:])  # TCP may deliver a frame in pieces
    again = receiver.exchange(sent)  # the panel missed our ACK and sends it again

    assert answers == again == ['"ACK"0007R0L0#1234[]']
    report = Report.objects.get()
    assert (report.source, report.priority, report.category.code) == (
        "alert_button",
        "critical",
        "panic_alarm",
    )
    assert report.location.equals_exact(panel.location, 1e-9)
    alert = Alert.objects.get()
    assert (alert.report, alert.device, alert.kind, alert.channel) == (
        report,
        panel,
        "panic",
        "dc09",
    )
    assert not RefusedDeviceRequest.objects.exists()


@committed
def test_an_encrypted_adm_cid_frame_is_answered_with_an_encrypted_ack(receiver, sealed_point):
    sent = frame("5A7E", "1110 01 003", message_type="ADM-CID", seq="0042", key=KEY_128)

    [answer] = receiver.exchange(sent)

    head, sealed = answer.split("[")
    assert head == '"*ACK"0042R0L0#5A7E'
    clear = AES.new(bytes.fromhex(KEY_128), AES.MODE_CBC, iv=bytes(16)).decrypt(
        bytes.fromhex(sealed)
    )
    stamp = re.fullmatch(r"[^|\[\]]*\|\]_(\d\d:\d\d:\d\d,\d\d-\d\d-\d{4})", clear.decode("ascii"))
    assert stamp, clear
    assert now_ish(datetime.strptime(stamp[1], "%H:%M:%S,%m-%d-%Y").replace(tzinfo=UTC))
    alert = Alert.objects.select_related("report__category").get()
    assert (alert.device, alert.kind, alert.channel) == (sealed_point, "fire", "dc09")
    assert (alert.report.source, alert.report.priority, alert.report.category.code) == (
        "call_point",
        "critical",
        "fire",
    )


@committed
def test_test_reports_mark_the_device_alive_and_openings_or_restorals_raise_nothing(
    receiver, panel
):
    joined = b"".join(  # several frames in one TCP write
        [
            frame("1234", "Nri0/RP000", seq="0001"),  # periodic test report
            frame("1234", "1602 00 000", message_type="ADM-CID", seq="0002"),  # the same in CID
            frame("1234", None, seq="0000"),  # link test
            frame("1234", "Nri1/OP001", seq="0003"),  # opening
            frame("1234", "Nri1/CL001", seq="0004"),  # closing
            frame("1234", "3120 01 005", message_type="ADM-CID", seq="0005"),  # panic restoral
        ]
    )

    answers = receiver.exchange(joined, answers=6)

    assert answers == [
        f'"ACK"{seq}R0L0#1234[]' for seq in ("0001", "0002", "0000", "0003", "0004", "0005")
    ]
    panel.refresh_from_db()
    assert panel.online
    assert now_ish(panel.last_heartbeat_at)
    assert_nothing_created()
    assert not RefusedDeviceRequest.objects.exists()


# --- through the socket: refused frames create nothing and are audited --------------------------


@committed
def test_refused_frames_create_nothing_and_are_audited(receiver, paris, panel, sealed_point):
    revoked = device_at(paris, name="Ancienne borne", dc09_account="DEAD")
    receiver.reload()
    revoke_device(revoked)  # after the reload: the receiver's list is not what decides
    good = frame("1234", "Nri1/PA501", seq="0001")
    sent = [
        frame("9999", "Nri1/PA501"),  # unknown account
        frame("5A7E", "Nri1/PA501", key=KEY_128, at=datetime.now(UTC) - timedelta(minutes=2)),
        frame("DEAD", "Nri1/PA501"),
        altered(good, b"PA501", b"PA502"),  # one character changed in transit: bad CRC
        frame("1234", None, seq="0000"),  # a link test
    ]

    answers = receiver.exchange(b"".join(sent), answers=4)

    # Answers come in order, so the link test's ACK right after the NAKs means the frame with
    # the bad CRC got none. NAKs are never encrypted and carry our clock, for the panel.
    assert all(now_ish(nak_time(nak)) for nak in answers[:3])
    assert answers[3] == '"ACK"0000R0L0#1234[]'
    refusals = RefusedDeviceRequest.objects.order_by("pk")
    assert [(r.reason, r.claimed_device, r.device, r.channel) for r in refusals] == [
        ("unknown_device", "9999", None, "dc09"),
        ("stale_timestamp", "5A7E", sealed_point, "dc09"),
        ("revoked", "DEAD", revoked, "dc09"),
        ("bad_crc", "1234", panel, "dc09"),
    ]
    assert {r.remote_address for r in refusals} == {"127.0.0.1"}
    assert_nothing_created()


# --- the command ------------------------------------------------------------------------------


@committed
def test_the_command_listens_answers_and_hears_new_devices_on_its_timer(paris, panel):
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", "run_dc09_receiver", "--port", "0", "--reload-every", "0.2"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url_for_servers()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        if not first:
            process.wait(timeout=10)
            pytest.fail("the receiver did not start:\n" + process.stderr.read())
        started = json.loads(first)
        host, port = started["listening"].rsplit(":", 1)
        assert (host, started["accounts"]) == ("127.0.0.1", 1)
        later = device_at(paris, name="Mairie annexe", dc09_account="ABCD")

        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(frame("1234", "Nri1/PA501"))
            assert read_answers(sock, 1) == ['"ACK"0001R0L0#1234[]']
            deadline = time.monotonic() + 5
            while True:  # until the timer has read the new account
                sock.sendall(frame("ABCD", None, seq="0000"))
                [answer] = read_answers(sock, 1)
                if answer.startswith('"ACK"') or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        assert answer == '"ACK"0000R0L0#ABCD[]'
    finally:
        process.terminate()
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["stopped"] == started["listening"]
    assert summary["ack"] == 2
    assert summary["frames"] == summary["ack"] + summary["nak"]
    assert Alert.objects.get().device == panel
    later.refresh_from_db()
    assert later.last_heartbeat_at is not None
