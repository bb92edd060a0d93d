"""Retention schedule, runs and anonymisation (issue 15; docs/privacy.md)."""
