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
