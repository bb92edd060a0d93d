"""The disclosures panel on tenancy's person page (tenancy.hooks.person_panels): who
received data about the person, most recent first, with a link to the full list."""

from django.template.loader import render_to_string

from . import log


def person_panel(request, person) -> str:
    disclosures = log.person_disclosures(person=person)
    return render_to_string(
        "gdpr/disclosure/person_panel.html",
        {"person": person, "recent": list(disclosures[:5]), "count": disclosures.count()},
        request=request,
    )
