"""OpenAPI post-processing: every operation gets a Danish summary (issue 11: the API docs had
Danish summaries on some endpoints and none on many). Operations that declare their own
summary (extend_schema) keep it; the rest get one from the standard action and a Danish
name for the resource, e.g. `units_list` -> "Liste over enheder"."""

from __future__ import annotations

from typing import Any

RESOURCES = {
    "buildings": "bygninger",
    "departments": "afdelinger",
    "entrances": "opgange",
    "leases": "lejemål",
    "people": "personer",
    "properties": "ejendomme",
    "units": "enheder",
    "organisations": "organisationer",
    "comparisons": "sammenligninger med huslejeregistret",
    "differences": "forskelle fra huslejeregistret",
    "dwellings-evidence": "dokumentation for antal boliger",
    "owner-use": "ejerbenyttelser",
    "applicants": "ansøgere",
    "applications": "ansøgninger",
    "payments": "betalinger",
    "invoices": "opkrævninger",
    "token": "API-nøgle",
}
ACTIONS = {
    ("get", False): "Liste over {r}",
    ("get", True): "Hent én: {r}",
    ("post", False): "Opret: {r}",
    ("patch", True): "Ret: {r}",
    ("put", True): "Ret: {r}",
    ("delete", True): "Slet: {r}",
}
CUSTOM = {
    "applications": "ansøgning på venteliste",
    "channel": "skift tilbudsform",
    "invoices": "opkrævninger",
    "leave": "udmeld",
    "renew": "forny",
    "wishes": "ret boligønsker",
}


def _summary(method: str, path: str) -> str | None:
    parts = [p for p in path.strip("/").split("/") if p and p != "api"]
    if parts and parts[0] in {"cpr", "rent-register", "waitlist", "auth"}:
        parts = parts[1:]
    if not parts:
        return None
    if parts[0] == "token":
        return "Hent en API-nøgle (brugernavn, adgangskode og evt. engangskode)"
    resource = RESOURCES.get(parts[0], parts[0])
    detail = len(parts) > 1 and parts[1].startswith("{")
    if len(parts) > 2 and parts[2] in CUSTOM:  # an action on one object
        return f"{CUSTOM[parts[2]].capitalize()} ({resource})"
    template = ACTIONS.get((method, detail))
    return template.format(r=resource) if template else None


def danish_summaries(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: fill the missing summaries."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and not operation.get("summary"):
                summary = _summary(method, path)
                if summary:
                    operation["summary"] = summary
    return result
