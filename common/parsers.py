"""A JSON parser that refuses what the standard library silently accepts.

Duplicate keys make a request ambiguous (which `type` did the sender mean?), and NaN or
Infinity are not JSON at all; both become a clear 400 instead of a guess.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def dict_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ParseError(f"Duplicate key {key!r} in JSON object.")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ParseError(f"{name} is not valid JSON.")


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json.loads(
                text, object_pairs_hook=dict_without_duplicates, parse_constant=_no_constants
            )
        except ParseError:
            raise
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
