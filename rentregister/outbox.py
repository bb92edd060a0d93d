"""Hook called by the tenancy services inside their transaction after every lease or unit
change, so a filing to the rent register is written atomically with the change.

The rent-register step fills these in (outbox rows + UDK notification rules)."""


def lease_changed(*, record, lease) -> None:
    """`record` is the tenancy ChangeRecord (action, before, after, actor) of the change."""


def unit_changed(*, record, unit) -> None:
    """BBR data of a unit changed (UDK is not told automatically)."""
