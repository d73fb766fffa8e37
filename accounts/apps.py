from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    # Permissions exist only after migrate has created them (app by app, in post_migrate), so
    # the role groups are brought in line after each app's, rather than in a data migration
    # that would run too early.
    from accounts.roles import sync_roles

    sync_roles()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts, centres and vetting"

    def ready(self) -> None:
        post_migrate.connect(_sync_roles, dispatch_uid="accounts.sync_roles")
        from accounts import checks  # noqa: F401 - registers the deploy checks
