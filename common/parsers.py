"""A JSON parser that refuses what the standard library silently accepts.

Duplicate keys make a request ambiguous (which `type` did the sender mean?), NaN and Infinity
are not JSON, JSON is UTF-8 (RFC 8259), and a document nested a hundred thousand deep is an
attack: each becomes a clear 4xx instead of a guess or a crash.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser

_UTF8 = {"utf-8", "utf8"}


def dict_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ParseError(f"Duplicate key {key!r} in JSON object.")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ParseError(f"{name} is not valid JSON.")


def loads_strictly(text: str | bytes) -> Any:
    try:
        return json.loads(
            text, object_pairs_hook=dict_without_duplicates, parse_constant=_no_constants
        )
    except ParseError:
        raise
    except RecursionError as exc:
        raise ParseError("JSON nested too deeply.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"Malformed JSON: {exc}") from exc


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        charset = (parser_context or {}).get("encoding") or "utf-8"
        if charset.lower() not in _UTF8:
            raise UnsupportedMediaType(media_type, detail="JSON must be UTF-8 (RFC 8259).")
        return loads_strictly(stream.read())
