"""Waiting-list services (typed, keyword-only, atomic; DomainError on a broken rule).

Split by topic: fees (schedule, notice rule, invoice_mark_paid), applicants (sign up,
change, leave), nightly (renewal invoices, reminders, deletion). The payments helper's
modules (payments) are imported by their own path."""
