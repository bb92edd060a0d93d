"""Seed a plausible operating plan for the payouts of 2026 and 2027 (edit it in admin)."""

from django.db import migrations

from rentregister.plan import plan_for_year

YEARS = (2026, 2027)


def seed(apps, schema_editor):
    PayoutDeadline = apps.get_model("rentregister", "PayoutDeadline")
    for year in YEARS:
        for benefit_month, cutoff, payout in plan_for_year(year):
            PayoutDeadline.objects.get_or_create(
                benefit_month=benefit_month,
                defaults={"cutoff_date": cutoff, "payout_date": payout},
            )


def unseed(apps, schema_editor):
    PayoutDeadline = apps.get_model("rentregister", "PayoutDeadline")
    for year in YEARS:
        months = [row[0] for row in plan_for_year(year)]
        PayoutDeadline.objects.filter(benefit_month__in=months).delete()


class Migration(migrations.Migration):
    dependencies = [("rentregister", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
