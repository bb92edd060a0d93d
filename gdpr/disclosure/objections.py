"""Who objected to which processing: read from the objection register of personal data
part 1 (issue 15), the one place this area asks it."""

from tenancy.models import Organisation


def market_statistics_objector_ids(*, organisation: Organisation) -> set[int]:
    """Ids of the organisation's people who objected to the market statistics.

    The objection register (issue 15, part 1) is not on main yet: until it is, nobody has
    a recorded objection. This function is the one place to read it from."""
    return set()
