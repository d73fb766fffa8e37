"""What an operator may do from the console's WebSocket, as named actions.

`live` sits below the apps whose services the actions call, so those apps register their
handlers here when they load (ARCHITECTURE.md: the higher app calls the lower one). A handler
takes the user and the message, calls the same service as the REST API, and returns the data
to send back; domain errors travel back in the contract's error shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from accounts.models import User
from common.errors import InvalidInput

ConsoleAction = Callable[[User, dict[str, Any]], dict[str, Any]]

_ACTIONS: dict[str, ConsoleAction] = {}


def register(name: str, handler: ConsoleAction) -> None:
    _ACTIONS[name] = handler


def run_action(name: str, user: User, message: dict[str, Any]) -> dict[str, Any]:
    handler = _ACTIONS.get(name)
    if handler is None:
        raise InvalidInput(
            f"Unknown action {name!r}; known: {', '.join(sorted(_ACTIONS))}.",
            code="unknown_action",
        )
    return handler(user, message)


def id_in(message: dict[str, Any], name: str) -> int:
    """An id a client's frame names: a positive integer that fits the database's bigint."""
    value = message.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
        raise InvalidInput(fields={name: ["an id (an integer)"]})
    return value
