"""Categories raised by alert buttons and call points (issue 6), flagged so senders never pick them."""

from django.db import migrations, models

from reporting.categories import ensure_default_categories


def add_categories(apps, schema_editor):
    ensure_default_categories(apps.get_model("reporting", "Category"))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0003_report_escalated_at")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="for_alerts",
            field=models.BooleanField(
                default=False,
                help_text="Raised by alert buttons and call points only; not offered to senders.",
            ),
        ),
        migrations.RunPython(add_categories, migrations.RunPython.noop),
    ]
