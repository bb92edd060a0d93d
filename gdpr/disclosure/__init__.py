"""Disclosures, processing records, outbound exports, data discovery and breaches (issue 16).

One module per topic: `log` (the disclosure log: record and read), and the modules the
screens, API and tasks call. See docs/disclosures.md."""
