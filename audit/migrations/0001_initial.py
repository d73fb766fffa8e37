import django.utils.timezone
from django.db import migrations, models

# The trail is append-only in the database, not only in the app: UPDATE is refused outright,
# DELETE until the row is older than audit.models.TRAIL_KEPT_DAYS (366 days).
APPEND_ONLY = """
CREATE FUNCTION audit_accessrecord_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'the access trail is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.at > now() - interval '366 days' THEN
        RAISE EXCEPTION 'the access trail is kept 366 days: DELETE of a record from % refused',
            OLD.at USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER audit_accessrecord_append_only
    BEFORE UPDATE OR DELETE ON audit_accessrecord
    FOR EACH ROW EXECUTE FUNCTION audit_accessrecord_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_accessrecord_append_only ON audit_accessrecord;
DROP FUNCTION IF EXISTS audit_accessrecord_append_only();
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="AccessRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("actor_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("actor_username", models.CharField(blank=True, max_length=150)),
                ("actor_role", models.CharField(blank=True, max_length=20)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("login", "Signed in"),
                            ("login_failed", "Failed sign-in"),
                            ("logout", "Signed out"),
                            ("view_report", "Viewed a report"),
                            ("view_attachment", "Opened an attachment"),
                            ("view_cameras", "Viewed a report's camera links"),
                            ("export", "Exported data"),
                            ("change", "Changed something"),
                            ("share", "Shared a report with another centre"),
                            ("legal_hold", "Set or lifted a legal hold"),
                            ("search_trail", "Searched the access trail"),
                            ("erasure", "Erased an account"),
                        ],
                        db_index=True,
                        max_length=20,
                    ),
                ),
                ("target_type", models.CharField(blank=True, max_length=40)),
                ("target_id", models.BigIntegerField(blank=True, null=True)),
                ("target_label", models.CharField(blank=True, max_length=100)),
                ("centre_id", models.BigIntegerField(blank=True, db_index=True, null=True)),
                ("reason", models.TextField(blank=True)),
                ("detail", models.JSONField(blank=True, default=dict)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(
                        fields=["target_type", "target_id", "-at"], name="accessrecord_target_idx"
                    )
                ],
            },
        ),
        migrations.RunSQL(APPEND_ONLY, DROP),
    ]
