"""Reads of the retention runs, scoped: a member sees their organisation's runs; the
nightly run for every organisation only a superuser (its counts span organisations)."""

from django.db.models import Q, QuerySet

from tenancy.models import Organisation

from ..models import RetentionKept, RetentionRun


def run_list(*, user, organisation: Organisation | None) -> QuerySet[RetentionRun]:
    if organisation is None:
        return RetentionRun.objects.none()
    scope = Q(organisation=organisation)
    if getattr(user, "is_superuser", False):
        scope |= Q(organisation__isnull=True)
    return RetentionRun.objects.filter(scope).select_related("started_by", "organisation")


def kept_list(*, run: RetentionRun) -> QuerySet[RetentionKept]:
    return run.kept.order_by("pk")
