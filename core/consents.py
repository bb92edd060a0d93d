"""Consents kept by other apps, shown in gdpr's one consent register (issue 15).

`gdpr` keeps the consents and other recorded bases it owns (storing the CPR number, health
data for disability adaptations). An app that keeps a consent for a purpose only it acts on
(rentregister: filing the CPR number with the rent register, `FilingConsent`) registers a
source here in its `AppConfig.ready()`; gdpr lists those entries beside its own, so a
person's consents are one register while neither app imports the other."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .hooks import Hook


@dataclass(frozen=True)
class ConsentEntry:
    """One consent as its app keeps it, in the register's terms."""

    person_id: int
    purpose: str  # a code unique across apps, e.g. "rent_register_cpr"
    purpose_label: str  # Danish
    given_at: datetime
    withdrawn_at: datetime | None
    recorded_by: str
    evidence: str
    source: str  # the app that keeps it and where it is given/withdrawn, e.g. "Huslejeregister"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


# f(organisation_id=, person_ids=) -> entries; person_ids None means every person of the
# organisation. One query per source, never one per person.
ConsentSource = Callable[..., list[ConsentEntry]]
consent_sources: Hook[ConsentSource] = Hook("consent_sources")


def entries_for(*, organisation_id: int, person_ids: Sequence[int] | None) -> list[ConsentEntry]:
    """Every registered source's consents for the people (or the whole organisation)."""
    found: list[ConsentEntry] = []
    for source in consent_sources:
        found.extend(source(organisation_id=organisation_id, person_ids=person_ids))
    return found
