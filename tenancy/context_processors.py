"""Template context: the user's organisations and the one currently chosen."""

from .selectors import organisation_list


def current_organisation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    organisations = list(organisation_list(user=user))
    chosen_id = request.session.get("organisation_id")
    current = next((o for o in organisations if o.pk == chosen_id), None)
    if current is None and organisations:
        current = organisations[0]
    return {"user_organisations": organisations, "current_organisation": current}
