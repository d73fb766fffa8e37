"""What people are told, in French and English: one function per kind of message.

Each returns, for a language, the title and body of the push; the data payload (what the apps
act on) is the same in every language and is built by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Texts = Callable[[str], tuple[str, str]]

REPORT_STATUS = {
    "acknowledged": (
        "Signalement pris en compte",
        "Votre signalement {ref} a été pris en compte par le centre de supervision.",
        "Report received",
        "Your report {ref} has been taken up by the supervision centre.",
    ),
    "dispatched": (
        "Intervention en cours",
        "Une patrouille a été envoyée pour votre signalement {ref}.",
        "Help is on the way",
        "A patrol has been sent for your report {ref}.",
    ),
    "resolved": (
        "Intervention terminée",
        "L'intervention pour votre signalement {ref} est terminée.",
        "Intervention over",
        "The intervention for your report {ref} is over.",
    ),
    "closed": (
        "Signalement clos",
        "Votre signalement {ref} est clos.",
        "Report closed",
        "Your report {ref} is closed.",
    ),
}

ALERT_STATUS = {
    "acknowledged": (
        "Alerte vue par le centre",
        "Le centre de supervision a vu votre alerte {ref}.",
        "Alert seen",
        "The supervision centre has seen your alert {ref}.",
    ),
    "dispatched": (
        "Les secours arrivent",
        "Une patrouille est en route pour votre alerte {ref}.",
        "Help is coming",
        "A patrol is on its way for your alert {ref}.",
    ),
    "resolved": (
        "Intervention terminée",
        "L'intervention pour votre alerte {ref} est terminée.",
        "Intervention over",
        "The intervention for your alert {ref} is over.",
    ),
}


def _pick(texts: tuple[str, str, str, str], language: str, **values: Any) -> tuple[str, str]:
    title, body = (texts[2], texts[3]) if language == "en" else (texts[0], texts[1])
    return title.format(**values), body.format(**values)


def report_status(reference: str, status: str, *, alert: bool) -> Texts | None:
    """The author is told of these moves of their report (None: not worth a push)."""
    table = ALERT_STATUS if alert else REPORT_STATUS
    if status not in table:
        return None
    return lambda language: _pick(table[status], language, ref=reference)


def dispatch(reference: str, category_fr: str, category_en: str, callsign: str) -> Texts:
    return lambda language: _pick(
        (
            "Nouvelle intervention — {unit}",
            "{cat_fr} : {ref}. Ouvrez l'application.",
            "New dispatch — {unit}",
            "{cat_en}: {ref}. Open the app.",
        ),
        language,
        unit=callsign,
        ref=reference,
        cat_fr=category_fr,
        cat_en=category_en,
    )


def escalation(reference: str, waited_s: int) -> Texts:
    return lambda language: _pick(
        (
            "Escalade : {ref}",
            "Signalement critique non pris en compte depuis {s} s.",
            "Escalation: {ref}",
            "Critical report not acknowledged for {s} s.",
        ),
        language,
        ref=reference,
        s=waited_s,
    )


def verbatim(title: str, body: str) -> Texts:
    """A supervisor's own words (broadcasts): sent as written."""
    return lambda language: (title, body)
