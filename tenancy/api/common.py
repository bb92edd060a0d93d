"""What the API modules share: the scoped primary-key field and the buildings selector."""

from rest_framework import serializers

from .. import selectors
from ..models import Building


def building_list(*, user):
    """Buildings in the user's organisations (the selectors module has no building list;
    this is the same organisation filter they use)."""
    return Building.objects.filter(
        organisation_id__in=selectors.organisation_ids_for(user)
    ).select_related("property")


class ScopedPk(serializers.PrimaryKeyRelatedField):
    """A primary key that must point at an object in the requesting user's organisations
    (through a scoping selector): another organisation's id gets the same "does not exist"
    400 as a wrong id, so nothing is ever created under it."""

    def __init__(self, *, selector, model, **kwargs):
        self.selector = selector
        # The empty queryset only tells the schema generator the model; lookups use
        # get_queryset below.
        kwargs["queryset"] = model._default_manager.none()
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.selector(user=self.context["request"].user)
