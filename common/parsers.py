"""A JSON parser that refuses what the standard library silently accepts.

Duplicate keys make a request ambiguous (which `type` did the sender mean?), NaN and Infinity
are not JSON, JSON is UTF-8 (RFC 8259), and a document nested a hundred thousand deep is an
attack: each becomes a clear 4xx instead of a guess or a crash.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser

_UTF8 = {"utf-8", "utf8"}

# A JSON string, escapes included. The closing quote is optional so that an unterminated string
# swallows the rest in one pass: the scan stays linear whatever the input (a required quote
# would make the regex retry from every later quote).
_STRING = re.compile(rb'"(?:[^"\\]++|\\[\s\S])*+"?')
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_depth(text: str | bytes) -> int:
    """How deep the brackets of `text` nest, outside strings, without parsing it.

    Cheap and linear (regex and `bytes.translate` do the work in C), so a document nested a
    million deep is refused before `json.loads` recurses into it.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets), initial=0))


def check_depth(text: str | bytes, limit: int | None = None) -> None:
    limit = settings.VIGIE_JSON_MAX_DEPTH if limit is None else limit
    if json_depth(text) > limit:
        raise ParseError(f"JSON nested deeper than {limit} levels.")


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
    check_depth(text)
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
