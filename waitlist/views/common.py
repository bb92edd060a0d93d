"""What the waiting-list views share."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from core.excel import xlsx_filename, xlsx_response

from ..auth import is_applicant_user


def staff_required(view):
    """Logged in as staff: an applicant's self-service login never reaches these screens."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_applicant_user(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def xlsx(queryset, stem: str, title: str, columns):
    """A list as an Excel download, streamed from the database 2,000 rows at a time."""
    return xlsx_response(
        filename=xlsx_filename(stem),
        title=title,
        columns=columns,
        rows=queryset.iterator(chunk_size=2000),
    )
