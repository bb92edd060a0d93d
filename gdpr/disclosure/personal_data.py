"""This area's part of gdpr's personal-data provider (core.personal_data): a person's
disclosures and market-statistics notices for the access bundle, and the outbound files on
disk that name them, deleted on anonymisation (the log rows hold ids only and stay)."""

import zipfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from core.personal_data import Section, Subject, mentions

from ..models import Disclosure, MarketStatisticsNotice, OutboundExport


def sections(subject: Subject) -> list[Section]:
    disclosures = (
        Disclosure.objects.filter(
            links__person_id__in=subject.person_ids,
            organisation_id__in=subject.organisation_ids,
        )
        .distinct()
        .order_by("at", "pk")
    )
    notices = MarketStatisticsNotice.objects.filter(
        person_id__in=subject.person_ids, organisation_id__in=subject.organisation_ids
    ).order_by("notified_at", "pk")
    return [
        Section(
            "gdpr",
            "gdpr.disclosures",
            _("Videregivelser af oplysninger"),
            [
                {
                    _("Tidspunkt"): d.at.isoformat(),
                    _("Modtager"): d.recipient,
                    _("Oplysninger"): ", ".join(d.category_labels),
                    _("Retsgrundlag"): d.legal_basis,
                    _("Formål"): d.purpose,
                }
                for d in disclosures
            ],
        ),
        Section(
            "gdpr",
            "gdpr.market_notices",
            _("Underretninger om markedsstatistik"),
            [{_("Underrettet"): n.notified_at.isoformat()} for n in notices],
        ),
    ]


def _file_mentions(path: Path, identifiers) -> bool:
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                return any(
                    mentions(archive.read(n).decode("utf-8", "replace"), identifiers)
                    for n in archive.namelist()
                )
        return mentions(path.read_text(encoding="utf-8", errors="replace"), identifiers)
    except (OSError, zipfile.BadZipFile):
        return True  # unreadable: it cannot be shown clean, so it goes


def anonymise(subject: Subject) -> int:
    """Delete the outbound files that name the subject (the export row and its disclosure
    stay, without the file). Returns the number of files deleted."""
    if not subject.identifiers:
        return 0
    count = 0
    exports = OutboundExport.objects.filter(organisation_id__in=subject.organisation_ids)
    for export in exports.exclude(file=""):
        path = Path(settings.MEDIA_ROOT) / export.file
        if path.exists() and not _file_mentions(path, subject.identifiers):
            continue
        path.unlink(missing_ok=True)
        OutboundExport.objects.filter(pk=export.pk).update(file="")
        count += 1
    return count
