from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alert buttons and call points"

    def ready(self) -> None:
        from alerts import schema  # noqa: F401 - registers the OpenAPI security scheme
