from django.db import migrations


def supervisors_are_staff(apps, schema_editor):
    # Supervisors now open a centre-scoped admin (issue 9); accounts made before get there too,
    # as `create_user` makes new ones. Never superusers: only administrators are.
    User = apps.get_model("accounts", "User")
    User.objects.filter(role="supervisor").update(is_staff=True)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_centre_retention_days")]

    operations = [migrations.RunPython(supervisors_are_staff, migrations.RunPython.noop)]
