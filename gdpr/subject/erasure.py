"""Erasure on request (GDPR art. 17, issue 15): what can go goes at once, through every
app's anonymisation (core.personal_data); what must stay is listed with the app's reason
(`must_keep`): an app with a blocking reason (an active lease, an unresolved debt) keeps
its data until the reason is gone; a non-blocking reason (lease documents, bookkeeping)
names what survives the anonymisation."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core import personal_data
from core.errors import DomainError
from tenancy.history import record_change
from tenancy.models import Person

from ..models import RequestKind, SubjectRequest
from .rights import subject_of


@dataclass(frozen=True)
class ErasurePlan:
    blocking: list[personal_data.Keep]  # these apps keep everything for now
    kept: list[personal_data.Keep]  # what survives the anonymisation
    apps: list[str]  # the apps whose data goes now

    @property
    def blocked_apps(self) -> set[str]:
        return {keep.app for keep in self.blocking}


def erasure_plan(person: Person) -> ErasurePlan:
    subject = subject_of(person)
    keeps = personal_data.must_keep(subject)
    blocking = [k for k in keeps if k.blocks]
    blocked = {k.app for k in blocking}
    return ErasurePlan(
        blocking=blocking,
        kept=[k for k in keeps if not k.blocks],
        apps=[p.app for p in personal_data.registry if p.app not in blocked],
    )


def erasure_perform(*, request: SubjectRequest, actor=None) -> dict[str, int]:
    """Anonymise the person in every app that has no blocking reason; rows changed per
    app. Recorded in the request's history (counts only, no personal data)."""
    if request.kind != RequestKind.ERASURE:
        raise DomainError(_("Sletning kan kun udføres på en anmodning om sletning."))
    if not request.is_open:
        raise DomainError(_("Anmodningen er afsluttet."))
    person = request.person
    with transaction.atomic():
        subject = subject_of(person)
        plan = erasure_plan(person)
        changed = {
            provider.app: provider.anonymise(subject)
            for provider in personal_data.registry
            if provider.app not in plan.blocked_apps
        }
        record_change(
            instance=request,
            action="erasure_performed",
            actor=actor,
            before=None,
            after={"rows_changed": changed, "kept_by": sorted(plan.blocked_apps)},
            people=[person],
        )
    return changed
