"""Production settings pass Django's deployment checks with no warning, and no secret (private
key, cloud key, Django secret key) is in the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.utils import get_random_secret_key


def test_check_deploy_is_clean_with_production_variables():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": get_random_secret_key(),
        "DJANGO_ALLOWED_HOSTS": "vigie.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SECRET_KEY")}
    env["DJANGO_DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# --- no secret in the repository -----------------------------------------------------------------
# What a leaked credential looks like. The patterns are written so that this file does not match
# them itself (a character class where the literal text would be).
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}"
    ),
    # A value written out, not one read from somewhere ($VAR, $(command), a *_FILE path).
    "Django secret key": re.compile(r"DJANGO_SECRET_KEY\s*=\s*['\"]?[^\s'\"$]"),
    "SECRET_KEY literal": re.compile(r"^\s*SECRET_KEY\s*=\s*['\"]", re.MULTILINE),
}
# Documented exceptions, each with why it is not a secret. (The fake FCM server of
# tests/notifications/fake_fcm.py makes its service-account key at run time: nothing stored.)
ALLOWED = {
    # Only used when DJANGO_DEBUG is on; production refuses to start without a real key.
    ("config/settings.py", "SECRET_KEY literal"),
}


def repository_files() -> list[Path]:
    """Tracked files, and new ones not ignored: everything a commit could carry."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],  # noqa: S607
        cwd=settings.BASE_DIR,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [Path(name) for name in listed.split("\0") if name]


def secrets_in(text: str) -> list[str]:
    return [kind for kind, pattern in SECRET_PATTERNS.items() if pattern.search(text)]


def test_no_secret_is_in_the_repository():
    found = []
    files = repository_files()
    for path in files:
        full = settings.BASE_DIR / path
        if not full.is_file():
            continue  # deleted in the working tree
        text = full.read_bytes()
        if b"\0" in text[:8192]:
            continue  # binary
        for kind in secrets_in(text.decode("utf-8", "replace")):
            if (path.as_posix(), kind) not in ALLOWED:
                found.append(f"{path}: {kind}")

    assert len(files) > 100  # the listing worked
    assert found == []


def test_the_secret_scan_recognises_what_it_looks_for():
    pem = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEow...\n"
    assert secrets_in(pem) == ["private key"]
    assert secrets_in("key = 'AKIA" + "ABCDEFGHIJKLMNOP'") == ["AWS access key id"]
    assert secrets_in("DJANGO_SECRET_KEY" + "=s3cr3t-value make run") == ["Django secret key"]
    assert secrets_in("DJANGO_SECRET_KEY" + "=$(cat /run/secrets/vigie)") == []
    assert secrets_in("DJANGO_SECRET_KEY" + "_FILE=/run/secrets/vigie") == []
