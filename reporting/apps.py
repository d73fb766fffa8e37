from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reports"

    def ready(self) -> None:
        # The console (live, a lower app) learns what it can do with reports from here.
        from reporting.console_actions import register_console_actions

        register_console_actions()
