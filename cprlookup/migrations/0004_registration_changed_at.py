from django.db import migrations, models


class Migration(migrations.Migration):
    """CprRegistration.last_seen_at -> changed_at: unchanged registrations are no longer
    rewritten on every lookup; UnitOccupancy.looked_up_at says when CPR last confirmed them."""

    dependencies = [
        ("cprlookup", "0003_resident_no_unit_person_index"),
    ]

    operations = [
        migrations.RenameField(
            model_name="cprregistration",
            old_name="last_seen_at",
            new_name="changed_at",
        ),
        migrations.AlterField(
            model_name="cprregistration",
            name="changed_at",
            field=models.DateTimeField(verbose_name="sidst ændret"),
        ),
    ]
