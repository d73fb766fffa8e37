"""Management commands that scripts can read: the last line printed is always one JSON object."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.exceptions import ValidationError

from common.errors import DomainError, _messages, error_body


class JsonCommand(BaseCommand):
    """Subclasses implement `run(**options) -> dict`, which runs in one transaction.

    Success prints the dict; any failure prints `{"error": {...}}`, changes nothing, and exits
    with status 1.
    """

    def run(self, **options: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _fail(self, code: str, message: str, fields: dict | None = None) -> None:
        self.stdout.write(json.dumps(error_body(code, message, fields), ensure_ascii=False))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with transaction.atomic():
                result = self.run(**options)
        except DomainError as exc:
            self._fail(exc.code, exc.message, exc.fields)
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            messages = _messages(exc.detail)
            message = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
            self._fail("invalid", message)
            raise CommandError(message) from exc
        except CommandError as exc:
            self._fail("command_error", str(exc))
            raise
        except Exception as exc:
            self._fail("internal_error", f"{type(exc).__name__}: {exc}")
            raise
        self.stdout.write(json.dumps(result, ensure_ascii=False))
