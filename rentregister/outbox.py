"""Hook called by the tenancy services inside their transaction after every lease or unit
change, so a filing to the rent register is written atomically with the change.

Each call writes pending `Filing` rows (full payload, stable idempotency key) and the UDK
tasks the change needs; the push to the register runs after commit (Celery task plus a
periodic sweeper), so nothing is lost when Redis or the register is down."""


def lease_changed(*, record, lease) -> None:
    """`record` is the tenancy ChangeRecord (action, before, after, actor) of the change."""
    from .services import filing_record_lease_change

    filing_record_lease_change(record=record, lease=lease)


def unit_changed(*, record, unit) -> None:
    """BBR data of a unit changed (UDK is not told automatically)."""
    from .services import filing_record_unit_change

    filing_record_unit_change(record=record, unit=unit)
