"""The categories a report starts with (issue 3). Cities add their own in the admin."""

from django.db import migrations

from reporting.categories import ensure_default_categories


def add_categories(apps, schema_editor):
    ensure_default_categories(apps.get_model("reporting", "Category"))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
