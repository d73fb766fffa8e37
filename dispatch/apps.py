from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self) -> None:
        # The console (live, a lower app) learns how to dispatch from here.
        from dispatch.console_actions import register_console_actions

        register_console_actions()
