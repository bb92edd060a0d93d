"""Business operations that write tenancy data. Views, API, admin, commands and tasks all
call these; none re-implements a rule. Each validates, writes atomically, records history.

One module per topic (people, portfolio, leases); callers use `tenancy.services.<name>`.
"""

from .corrections import lease_correct
from .documents import lease_document_upload
from .leases import (
    FAR_FUTURE,
    LEASE_TERMS,
    lease_change_rent,
    lease_create,
    lease_end,
    lease_reinstate,
    lease_update,
)
from .people import REVEAL_PURPOSE_MAX_LENGTH, person_cpr_reveal, person_create, person_update
from .portfolio import (
    BUILDING_EDITABLE,
    ENTRANCE_EDITABLE,
    PROPERTY_EDITABLE,
    UNIT_EDITABLE,
    building_create,
    building_update,
    entrance_create,
    entrance_update,
    property_create,
    property_delete,
    property_update,
    unit_create,
    unit_update,
)
from .rent import drop_percent, lease_status_on, leases_apply_dates

__all__ = [
    "BUILDING_EDITABLE",
    "ENTRANCE_EDITABLE",
    "FAR_FUTURE",
    "LEASE_TERMS",
    "PROPERTY_EDITABLE",
    "REVEAL_PURPOSE_MAX_LENGTH",
    "UNIT_EDITABLE",
    "building_create",
    "building_update",
    "drop_percent",
    "entrance_create",
    "entrance_update",
    "lease_change_rent",
    "lease_correct",
    "lease_create",
    "lease_document_upload",
    "lease_end",
    "lease_reinstate",
    "lease_status_on",
    "lease_update",
    "leases_apply_dates",
    "person_cpr_reveal",
    "person_create",
    "person_update",
    "property_create",
    "property_delete",
    "property_update",
    "unit_create",
    "unit_update",
]
