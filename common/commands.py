"""Management commands that scripts can read: the last line printed is always one JSON object."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError

from common.errors import DomainError, error_body


class JsonCommand(BaseCommand):
    """Subclasses implement `run(**options) -> dict`; errors end as `{"error": {...}}` + exit 1."""

    def run(self, **options: Any) -> dict[str, Any]:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self.run(**options)
        except DomainError as exc:
            self.stdout.write(json.dumps(error_body(exc.code, exc.message, exc.fields)))
            raise CommandError(exc.message) from exc
        except CommandError as exc:
            self.stdout.write(json.dumps(error_body("command_error", str(exc))))
            raise
        except ValidationError as exc:
            self.stdout.write(json.dumps(error_body("invalid", str(exc.detail))))
            raise CommandError(str(exc.detail)) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False))
