"""Caseworker screens: dashboard, search, lists, detail pages and the lease lifecycle forms.

Views stay thin: reads go through tenancy.selectors (scoped to the organisation chosen in
the switcher), writes through tenancy.services; a DomainError becomes a form error. One
module per topic; the URLconf imports the views from here.
"""

from .documents import lease_document_download, lease_documents
from .exports import export_download, export_job_detail, export_job_file, export_job_status
from .frame import dashboard, organisation_switch, search
from .leases import (
    lease_change_rent,
    lease_correct,
    lease_create,
    lease_detail,
    lease_edit,
    lease_end,
    lease_reinstate,
)
from .lists import LISTS, entrance_list, lease_list, person_list, property_list, unit_list
from .people import person_detail, person_picker, person_reveal_cpr
from .portfolio import entrance_detail, property_detail, unit_detail

__all__ = [
    "LISTS",
    "dashboard",
    "entrance_detail",
    "entrance_list",
    "export_download",
    "export_job_detail",
    "export_job_file",
    "export_job_status",
    "lease_change_rent",
    "lease_correct",
    "lease_create",
    "lease_detail",
    "lease_document_download",
    "lease_documents",
    "lease_edit",
    "lease_end",
    "lease_list",
    "lease_reinstate",
    "organisation_switch",
    "person_detail",
    "person_list",
    "person_picker",
    "person_reveal_cpr",
    "property_detail",
    "property_list",
    "search",
    "unit_detail",
    "unit_list",
]
