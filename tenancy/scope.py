"""The organisation the browser user is working in (chosen with the organisation switcher)."""

from .models import Organisation
from .selectors import organisation_list


def current_organisation(request) -> Organisation | None:
    """The user's chosen organisation (session), else their first one; None if none."""
    user = request.user
    if not user.is_authenticated:
        return None
    cached = getattr(request, "current_organisation_cached", None)
    if cached is not None:
        return cached
    organisations = list(organisation_list(user=user))
    chosen_id = request.session.get("organisation_id")
    current = next((o for o in organisations if o.pk == chosen_id), None)
    if current is None and organisations:
        current = organisations[0]
    request.current_organisation_cached = current
    request.user_organisations = organisations
    return current


def scoped(request, selector):
    """A scoping selector's rows (tenancy.selectors) for the organisation the user works in."""
    return selector(user=request.user, organisation=current_organisation(request))
