"""Personal-data records kept for GDPR accountability (docs/domain.md, "Personal data").

One module per area; each area's models are imported here so Django finds them.
"""

from .reveal import CprReveal

# -- retention schedule, runs and anonymisation (issue 15)
# isort: split
from .retention import RetentionKept as RetentionKept
from .retention import RetentionRule as RetentionRule
from .retention import RetentionRun as RetentionRun

# -- data-subject requests, consents, contact form (issue 15)

# -- disclosures, processing records, outbound exports, discovery, breaches (issue 16)
# isort: split
from .breach import Breach, BreachPerson, BreachRisk
from .disclosure import DataCategory, Disclosure, DisclosurePerson, RecipientKind
from .discovery import DiscoveryFinding, DiscoveryRun, FindingKind, FindingStatus
from .outbound import (
    ExportKind,
    ExportStatus,
    MarketStatisticsNotice,
    MarketStatisticsOptIn,
    OutboundExport,
)
from .processing import Processor, ProcessorRole

__all__ = ["CprReveal"]
# issue 16
__all__ += ["DataCategory", "Disclosure", "DisclosurePerson", "RecipientKind"]
__all__ += ["ExportKind", "ExportStatus", "MarketStatisticsNotice", "MarketStatisticsOptIn"]
__all__ += ["Breach", "BreachPerson", "BreachRisk", "Processor", "ProcessorRole"]
__all__ += ["DiscoveryFinding", "DiscoveryRun", "FindingKind", "FindingStatus", "OutboundExport"]
__all__ += ["RetentionKept", "RetentionRule", "RetentionRun"]  # issue 15 (retention)
