"""Who objected to which processing: read from the objection register of personal data
part 1 (issue 15), the one place this area asks it."""

from tenancy.models import Organisation


def market_statistics_objector_ids(*, organisation: Organisation) -> set[int]:
    """Ids of the organisation's people who objected to the market statistics.

    The objection register is gdpr.selectors.objecting_person_ids (issue 15, part 1);
    this function is the one place this area reads it from."""
    from ..selectors import objecting_person_ids

    return objecting_person_ids("market_statistics", organisation_id=organisation.pk)
