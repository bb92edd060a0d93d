"""What gdpr itself holds about a person (core.personal_data): the CPR reveal log (who was
shown the person's full CPR number, when and why). The log stays (accountability); only a
purpose text naming the person is scrubbed."""

from django.utils.translation import gettext as _

from core import formatting
from core.personal_data import Provider, Section, Subject, scrub_rows

from .disclosure import personal_data as disclosure_data
from .models import CprReveal


def reveals(subject: Subject):
    return CprReveal.objects.filter(
        person_id__in=subject.person_ids, organisation_id__in=subject.organisation_ids
    )


class GdprPersonalData(Provider):
    app = "gdpr"

    def collect(self, subject: Subject) -> list[Section]:
        return [
            Section(
                self.app,
                "gdpr.cpr_reveals",
                _("Visninger af det fulde CPR-nummer"),
                [
                    {
                        _("Tidspunkt"): r.at.isoformat(),
                        _("Bruger"): formatting.user_name(r.user),
                        _("Formål"): r.purpose,
                    }
                    for r in reveals(subject).select_related("user").order_by("at", "pk")
                ],
            ),
            *disclosure_data.sections(subject),  # issue 16
        ]

    def anonymise(self, subject: Subject) -> int:
        changed = scrub_rows(reveals(subject), subject.identifiers, "purpose")
        return changed + disclosure_data.anonymise(subject)  # issue 16

    # --- retention: the CPR reveal log ---

    def retention_keys(self) -> list[str]:
        return [CPR_REVEALS]

    def retention_count(self, key, *, before, scope) -> int:
        return reveals_due(before=before, scope=scope).count()

    def retention_purge(self, key, *, before, scope, limit) -> int:
        ids = list(reveals_due(before=before, scope=scope).values_list("pk", flat=True)[:limit])
        return CprReveal.objects.filter(pk__in=ids).delete()[0]


CPR_REVEALS = "cpr_reveals"


def reveals_due(*, before, scope):
    rows = CprReveal.objects.filter(at__lt=before).order_by("pk")
    return rows if scope is None else rows.filter(organisation_id__in=scope)
