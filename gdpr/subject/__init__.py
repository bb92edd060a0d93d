"""The data subject's side of GDPR (issue 15): consents and other recorded bases,
objections, restriction, the data-subject request register with its deadlines and the
access/portability bundles, and the public contact form (docs/privacy.md)."""
