"""The access bundle and the portability export (issue 15).

Access: one ZIP per person across every app (core.personal_data.collect): a readable Danish
HTML document and the same data as JSON. Portability: only the sections the person gave
themselves (`provided_by_subject`), as JSON or CSV. Both are built in memory from a fixed
number of queries per app (no query per row), logged as a disclosure to the person, and
recorded in the request's history."""

import csv
import io
import json
import zipfile
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core import personal_data
from tenancy import hooks
from tenancy.history import record_change
from tenancy.models import Person

from ..models import SubjectRequest
from .rights import subject_of


@dataclass(frozen=True)
class Bundle:
    filename: str
    content_type: str
    content: bytes


def _document(person: Person, sections: list[personal_data.Section]) -> dict:
    return {
        "genereret": timezone.now().isoformat(),
        "person_id": person.pk,
        "organisation": person.organisation.name,
        "afsnit": [
            {
                "noegle": section.key,
                "app": section.app,
                "titel": section.title,
                "givet_af_personen": section.provided_by_subject,
                "raekker": section.rows,
            }
            for section in sections
        ],
    }


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()


def access_sections(person: Person) -> list[personal_data.Section]:
    return personal_data.collect(subject_of(person))


def access_bundle(*, request: SubjectRequest, actor=None) -> Bundle:
    """The ZIP for an access request: indsigt.html (readable) and indsigt.json."""
    person = request.person
    sections = access_sections(person)
    document = _document(person, sections)
    html = render_to_string(
        "gdpr/subject/access_document.html",
        {"person": person, "sections": sections, "generated": timezone.now()},
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("indsigt.html", html)
        archive.writestr("indsigt.json", _json(document))
    _record(request=request, actor=actor, what="access_bundle", sections=len(sections))
    return Bundle(f"indsigt-anmodning-{request.pk}.zip", "application/zip", buffer.getvalue())


def portability_export(*, request: SubjectRequest, fmt: str, actor=None) -> Bundle:
    """The data the person gave, machine-readable: JSON, or CSV (section;row;field;value)."""
    person = request.person
    sections = [s for s in access_sections(person) if s.provided_by_subject]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow([_("Afsnit"), _("Række"), _("Felt"), _("Værdi")])
        for section in sections:
            for number, row in enumerate(section.rows, start=1):
                for field, value in row.items():
                    writer.writerow([section.title, number, field, "" if value is None else value])
        content = out.getvalue().encode("utf-8-sig")  # Excel opens it with æøå intact
        bundle = Bundle(f"data-anmodning-{request.pk}.csv", "text/csv; charset=utf-8", content)
    else:
        bundle = Bundle(
            f"data-anmodning-{request.pk}.json",
            "application/json",
            _json(_document(person, sections)),
        )
    _record(request=request, actor=actor, what=f"portability_{fmt}", sections=len(sections))
    return bundle


def _record(*, request: SubjectRequest, actor, what: str, sections: int) -> None:
    """The request's history and the disclosure log: the person's data was handed out."""
    record_change(
        instance=request,
        action=what,
        actor=actor,
        before=None,
        after={"sections": sections},
        people=[request.person],
    )
    hooks.personal_data_disclosed.call(
        [
            hooks.Disclosure(
                organisation_id=request.organisation_id,
                recipient=str(_("Den registrerede selv")),
                recipient_kind=hooks.RecipientKind.DOWNLOAD,
                categories=(hooks.DataCategory.NAME, hooks.DataCategory.CONTACT),
                person_ids=(request.person_id,),
                legal_basis=str(_("GDPR art. 15/20 (indsigt og dataportabilitet)")),
                purpose=str(_("Svar på anmodning %s") % request.pk),
                source="gdpr.subject_request",
                reference=str(request.pk),
                actor_id=getattr(actor, "pk", None),
            )
        ]
    )
