"""The retention panel on tenancy's person page (tenancy.hooks.person_panels): whether the
person's retention period has passed, what keeps them, and the button to run retention."""

from django.template.loader import render_to_string

from . import services


def person_panel(request, person) -> str:
    state = services.person_retention(person=person)
    return render_to_string(
        "gdpr/retention/person_panel.html",
        {"person": person, "state": state},
        request=request,
    )
