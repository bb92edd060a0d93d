"""Letters for applicants on the letter channel: rendered to PDF (fpdf2, pure Python) and
collected in a print batch that staff download and print.

`print_batch_create` takes every queued letter of a cooperation (locked, so two clicks never
put a letter in two batches), renders one page per letter into one PDF, stores it on a
`PrintBatch` and marks the letters sent (handed to print) with the batch on them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from .models import Cooperation, Message, PrintBatch

logger = logging.getLogger(__name__)

# fpdf2's built-in fonts are Latin-1 (Danish letters included); other characters are
# replaced by near equivalents so a letter never fails to render.
_REPLACEMENTS = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‘": "'",
        "’": "'",
        "‚": ",",
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "€": "EUR",
        "•": "*",
        "\u00a0": " ",
    }
)


def _latin1(text: str) -> str:
    return text.translate(_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


def render_letters_pdf(messages: Sequence[Message], *, sender: str) -> bytes:
    """One A4 page (or more) per letter: sender, recipient, date, subject, text."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(_latin1(_("Breve fra ventelisten")))
    today = timezone.localdate().strftime("%d.%m.%Y")
    for message in messages:
        applicant = message.applicant
        pdf.add_page()
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 5, _latin1(sender), new_x="LMARGIN", new_y="NEXT", align="R")
        pdf.ln(18)
        pdf.set_font("Helvetica", size=11)
        for line in (applicant.name, *message.to_address.split(", ", 1)):
            pdf.cell(0, 5.5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(14)
        pdf.cell(0, 5.5, today, new_x="LMARGIN", new_y="NEXT", align="R")
        pdf.ln(6)
        pdf.set_font("Helvetica", style="B", size=13)
        pdf.multi_cell(0, 7, _latin1(message.subject), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 5.5, _latin1(message.body), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(-25)
        pdf.set_font("Helvetica", size=8)
        pdf.cell(0, 4, _latin1(f"{message.kind} · {message.pk}"), align="L")
    return bytes(pdf.output())


def queued_letters(*, cooperation: Cooperation):
    return Message.objects.filter(
        applicant__cooperation=cooperation,
        channel=Message.MessageChannel.LETTER,
        status=Message.Status.QUEUED,
        print_batch__isnull=True,
    )


def print_batch_create(*, cooperation: Cooperation, actor: User | None) -> PrintBatch | None:
    """Collect the cooperation's queued letters into a new print batch (None if there are
    none). Atomic: the PDF, the batch and the letters' status are saved together."""
    with transaction.atomic():
        letters = list(
            queued_letters(cooperation=cooperation)
            .select_for_update()
            .select_related("applicant")
            .order_by("applicant__postal_code", "applicant__name", "pk")
        )
        if not letters:
            return None
        data = render_letters_pdf(letters, sender=cooperation.name)
        batch = PrintBatch.objects.create(
            cooperation=cooperation,
            created_by=actor if actor is not None and actor.pk else None,
            letter_count=len(letters),
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        batch.file.save(f"breve-{cooperation.pk}-{stamp}-{batch.pk}.pdf", ContentFile(data))
        Message.objects.filter(pk__in=[m.pk for m in letters]).update(
            print_batch=batch, status=Message.Status.SENT, sent_at=timezone.now()
        )
    logger.info("print batch %s: %s letters", batch.pk, len(letters))
    return batch
