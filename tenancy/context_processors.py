"""Template context: the user's organisations and the one currently chosen."""

from .scope import current_organisation as _current


def current_organisation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    current = _current(request)
    return {"user_organisations": request.user_organisations, "current_organisation": current}
