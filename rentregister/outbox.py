"""The rent register's reactions to tenancy changes (registered on tenancy.hooks in
RentregisterConfig.ready()).

Called by the tenancy services inside their transaction after every lease or unit change,
so a filing is written atomically with the change: each call writes pending `Filing` rows
(full payload, stable idempotency key) and the UDK tasks the change needs; the push to the
register runs after commit (Celery task plus a periodic sweeper), so nothing is lost when
Redis or the register is down."""

from tenancy.hooks import LeaseChange, UnitChange


def lease_changed(change: LeaseChange) -> None:
    from .services import filing_record_lease_change

    filing_record_lease_change(
        record=change.record,
        lease=change.lease,
        correction=change.correction,
        reason=change.reason,
    )


def unit_changed(change: UnitChange) -> None:
    """BBR data of a unit changed (UDK is told only about what it does not learn itself)."""
    from .services import filing_record_unit_change

    filing_record_unit_change(record=change.record, unit=change.unit, correction=change.correction)
