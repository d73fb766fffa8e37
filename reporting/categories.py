"""The categories a report starts with (issue 3); cities add or deactivate their own in the
admin. Used by the data migration that loads them, and by the tests after a flush."""

CATEGORIES = [
    # code, French, English, default priority
    ("assault", "Agression", "Assault", "high"),
    ("theft", "Vol, vol à la tire", "Theft, pickpocketing", "normal"),
    ("burglary", "Cambriolage", "Burglary", "high"),
    ("drug_trafficking", "Trafic de stupéfiants", "Drug trafficking", "normal"),
    ("illegal_dumping", "Dépôt sauvage", "Illegal dumping", "low"),
    ("dangerous_parking", "Stationnement dangereux", "Dangerous parking", "low"),
    ("traffic_violation", "Infraction routière", "Traffic violation", "normal"),
    ("motorbike_rodeo", "Rodéo motorisé", "Motorbike rodeo", "high"),
    ("fight", "Rixe, regroupement de bandes", "Fight, gang gathering", "high"),
    ("street_harassment", "Harcèlement de rue", "Street harassment", "high"),
    ("person_in_distress", "Personne en détresse, chute", "Person in distress, fall", "critical"),
    ("crowd", "Attroupement", "Crowd, gathering", "normal"),
    ("suspicious_package", "Colis suspect", "Suspicious package", "critical"),
    ("fire", "Incendie, fumée", "Fire, smoke", "critical"),
    ("damaged_street_furniture", "Mobilier urbain dégradé", "Damaged street furniture", "low"),
    ("other", "Autre", "Other", "normal"),
    # Raised by alert buttons and call points (issue 6), never chosen in the resident app.
    ("panic_alarm", "Alerte panique", "Panic alarm", "critical"),
    ("intrusion_alarm", "Alarme intrusion", "Intrusion alarm", "critical"),
    ("medical_alarm", "Urgence médicale", "Medical emergency", "critical"),
    ("call_point_call", "Appel depuis une borne", "Call from a street call point", "critical"),
    ("duress_alarm", "Contrainte (code sous contrainte)", "Duress (duress PIN used)", "critical"),
]

ALERT_CATEGORY_CODES = frozenset(
    {"panic_alarm", "intrusion_alarm", "medical_alarm", "call_point_call", "duress_alarm"}
)


def ensure_default_categories(category_model) -> None:  # noqa: ANN001 - a historical model
    # Migration 0002 runs this on a model that has no `for_alerts` yet; 0004 runs it again.
    has_alert_flag = any(f.name == "for_alerts" for f in category_model._meta.get_fields())
    for position, (code, label_fr, label_en, priority) in enumerate(CATEGORIES):
        defaults = {
            "label_fr": label_fr,
            "label_en": label_en,
            "default_priority": priority,
            "position": position,
        }
        if has_alert_flag:
            defaults["for_alerts"] = code in ALERT_CATEGORY_CODES
        category_model.objects.get_or_create(code=code, defaults=defaults)
        if has_alert_flag and code in ALERT_CATEGORY_CODES:
            category_model.objects.filter(code=code).update(for_alerts=True)
