"""schemathesis against the live OpenAPI schema: no 500, no response outside the schema.

The real server (daphne, `make run`'s) runs in its own process on the test database; its
schema is read from `/api/schema/` as a client would, and every operation is sent generated
requests (valid ones with random and with real ids, and invalid ones) as three callers:
anonymous, an approved resident with an app token, and an operator with a console session.

Bounded and repeatable: a fixed number of examples per operation, derandomized, no shrinking;
the whole file runs in a few minutes on two cores. A failure names the operation, the request
and what was wrong, with the server's log.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import requests
import schemathesis
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from accounts.services import issue_app_token
from tests.factories import PARIS_HOTEL_DE_VILLE, database_url_for_servers, file_report

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
POSITIVE_EXAMPLES = 20
NEGATIVE_EXAMPLES = 10
CSRF = "h5" * 16  # a 32-character CSRF secret, sent as cookie and header alike
# Signing out ends the identity the next requests use: those run anonymously only.
SIGN_OUTS = {("DELETE", "/api/v1/auth/session/"), ("DELETE", "/api/v1/auth/token/")}
# Throttles would answer 429 to a fuzzer long before it found anything else.
UNTHROTTLED = {
    f"VIGIE_THROTTLE_{scope}": "100000/min"
    for scope in ("ANON", "USER", "LOGIN", "ENROLMENT", "REPORTS", "DEVICE", "POSITIONS")
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(transactional_db, tmp_path):
    """daphne in its own process on the test database (committed rows: transactional_db)."""
    port = _free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        **UNTHROTTLED,
        "DATABASE_URL": database_url_for_servers(),
        "DJANGO_DEBUG": "1",
        "VIGIE_MEDIA_ROOT": str(tmp_path / "media"),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                *("-m", "daphne", "-b", "127.0.0.1", "-p", str(port)),
                "config.asgi:application",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)  # noqa: S310 - our own server
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.3)
    yield url, log
    process.terminate()
    process.wait(timeout=10)


def operator_session(user) -> requests.Session:
    """The console's credentials: a session cookie (made by Django, stored in the database the
    server reads) and the CSRF cookie and header."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set("sessionid", client.cookies["sessionid"].value)
    session.cookies.set("csrftoken", CSRF)
    session.headers["X-CSRFToken"] = CSRF
    return session


def token_session(user) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {issue_app_token(user)}"
    return session


def real_ids(cast: dict) -> dict:
    """Path parameters that name real rows, so valid requests reach past the 404."""
    return {
        "report_id": cast["report"].pk,
        "member_id": cast["pending"].pk,
        "unit_id": cast["unit"].pk,
        "token": "fcm-resident-token",
    }


def fuzz(operation, base_url: str, session: requests.Session, ids: dict) -> list[str]:
    """Run the bounded examples of one operation; each failure as one readable line."""
    failures: list[str] = []
    names = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in ids.items() if k in names}

    def run(mode: GenerationMode, examples: int, strategy) -> None:
        @given(case=strategy)
        @hypothesis_settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            case.call_and_validate(base_url=base_url, session=session, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            pass  # nothing to make invalid: no parameters, no body
        except (Exception, BaseExceptionGroup) as exc:  # every failure, then the next one
            failures.append(f"{operation.label} [{mode.value}]: {_summary(exc)}")

    if fixed:  # half with ids of real rows (past the 404, into the payloads), half random
        run(GenerationMode.POSITIVE, POSITIVE_EXAMPLES // 2, operation.as_strategy())
        run(
            GenerationMode.POSITIVE,
            POSITIVE_EXAMPLES - POSITIVE_EXAMPLES // 2,
            operation.as_strategy(path_parameters=fixed),
        )
    else:
        run(GenerationMode.POSITIVE, POSITIVE_EXAMPLES, operation.as_strategy())
    run(
        GenerationMode.NEGATIVE,
        NEGATIVE_EXAMPLES,
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    return failures


@pytest.fixture
def cast(request):
    from notifications.services import register_push_device

    get = request.getfixturevalue
    resident = get("resident")
    register_push_device(resident, token="fcm-resident-token", platform="android")
    return {
        "resident": resident,
        "operator": get("operator"),
        "pending": get("pending_resident"),
        "unit": get("unit"),
        "report": file_report(resident, PARIS_HOTEL_DE_VILLE),
    }


def test_no_operation_answers_500_or_outside_its_schema(cast, server):
    base_url, log = server
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/?format=json")
    identities = {
        "anonymous": requests.Session(),
        "resident": token_session(cast["resident"]),
        "operator": operator_session(cast["operator"]),
    }
    ids = real_ids(cast)
    failures: list[str] = []
    operations = 0
    # Reads first, on the cast as it was made (a new report, nobody's acknowledgement yet),
    # then the writes, which change it.
    every = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: (op.method.upper() != "GET", op.path, op.method),
    )
    for operation in every:
        operations += 1
        for who, session in identities.items():
            if who != "anonymous" and (operation.method.upper(), operation.path) in SIGN_OUTS:
                continue
            failures += [f"as {who}: {f}" for f in fuzz(operation, base_url, session, ids)]
    assert operations > 40  # the schema really was read
    assert not failures, "\n\n".join(failures) + "\n\nserver log (end):\n" + _tail(log)


def _tail(log: Path, lines: int = 80) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _summary(exc: BaseException) -> str:
    """schemathesis' message without the HTML of Django's debug page."""
    text = str(exc)
    if "<!DOCTYPE html>" in text:
        head, _, rest = text.partition("<!DOCTYPE html>")
        title = rest.partition("<title>")[2].partition("</title>")[0]
        tail = rest.partition("Reproduce with:")[2]
        text = f"{head} [debug page: {' '.join(title.split())}] Reproduce with:{tail}"
    return text[:1500]
