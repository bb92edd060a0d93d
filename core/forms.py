"""Form helpers shared by every app's screens and admin."""

from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError


def _model_label(form: forms.BaseForm, name: str) -> str:
    instance = getattr(form, "instance", None)
    if instance is None or name == "__all__":
        return ""
    try:
        return str(instance._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return ""


def apply_domain_error(
    form: forms.BaseForm, exc: ValidationError, field_map: dict[str, Any] | None = None
) -> None:
    """Put a service's DomainError (or any ValidationError) on the form: on the named field
    when the error names one the form has (after `field_map` renames it; a name mapped to
    None becomes form-wide), otherwise as a form-wide error prefixed with the model field's
    label when a model form knows it."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.error_dict.items():
        target = field_map.get(name, name)
        if target is not None and target in form.fields:
            form.add_error(target, errors)
            continue
        label = _model_label(form, name)
        for error in errors:
            for message in getattr(error, "messages", [error]):
                form.add_error(None, f"{label}: {message}" if label else message)
