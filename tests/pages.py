"""Reading a web app's page as the browser would: its scripts, stylesheets, inline code, CSP."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any


class PageParts(HTMLParser):
    """The page's scripts, stylesheets and anything inline (styles, event handlers)."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.stylesheets: list[str] = []
        self.style_attributes = 0
        self.style_elements = 0
        self.event_handlers = 0
        self.html_lang: str | None = None
        self._in_script: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        self.style_attributes += "style" in attributes
        self.event_handlers += sum(name.startswith("on") for name in attributes)
        if tag == "html":
            self.html_lang = attributes.get("lang")
        elif tag == "style":
            self.style_elements += 1
        elif tag == "link" and attributes.get("rel") == "stylesheet":
            self.stylesheets.append(attributes["href"])
        elif tag == "script":
            self._in_script = {**attributes, "text": ""}
            self.scripts.append(self._in_script)

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._in_script["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    @property
    def inline_anything(self) -> int:
        return self.style_attributes + self.style_elements + self.event_handlers


def read_page(client: Any, path: str, **headers: Any) -> tuple[Any, PageParts, dict]:
    """The response, its parts, and the settings block (`#vigie-config`) the scripts read."""
    response = client.get(path, **headers)
    assert response.status_code == 200
    parts = PageParts()
    parts.feed(response.content.decode())
    config = next(s for s in parts.scripts if s.get("id") == "vigie-config")
    return response, parts, json.loads(config["text"])


def csp_of(response: Any) -> dict[str, list[str]]:
    directives = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        directives[name] = sources
    return directives
