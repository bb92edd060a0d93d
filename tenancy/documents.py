"""Lease documents (issue 15): the contract with its addenda, rent notices, improvement
increases, rent-tribunal rulings and judgments, kept on the lease.

Files go through Django's storage API: the `lease_documents` storage in settings.STORAGES
(the file system under MEDIA_ROOT/lease-documents by default; an S3-compatible backend in
production, see .env.example). They are never served from a public media URL, only by the
download view to the organisation's staff. Lease law requires keeping them, so they survive
anonymisation of the tenant (docs/privacy.md)."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _

from core.personal_data import Keep, Provider, Section, Subject


class LeaseDocumentStorage(LazyObject):
    """settings.STORAGES["lease_documents"], looked up on first use (not at import), like
    Django's default_storage; `reset()` makes the next use look it up again (tests)."""

    def _setup(self) -> None:
        self._wrapped = storages["lease_documents"]

    def reset(self) -> None:
        self._wrapped = empty  # type: ignore[assignment]  # LazyObject's "not set up yet"


_storage = LeaseDocumentStorage()


def lease_document_storage():
    """The storage lease documents live in (settings.STORAGES["lease_documents"])."""
    return _storage


class LeaseDocumentKind(models.TextChoices):
    CONTRACT = "contract", _("Lejekontrakt")
    ADDENDUM = "addendum", _("Tillæg til lejekontrakten")
    RENT_NOTICE = "rent_notice", _("Huslejevarsel")
    IMPROVEMENT = "improvement", _("Forbedringsforhøjelse")
    TRIBUNAL_RULING = "tribunal_ruling", _("Huslejenævnsafgørelse")
    JUDGMENT = "judgment", _("Dom")


class LeaseDocument(models.Model):
    """One document on a lease. The file's name in storage is random (no personal data in
    a path); the uploaded name is kept for display only."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    lease = models.ForeignKey(
        "tenancy.Lease",
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("lejemål"),
    )
    kind = models.CharField(_("type"), max_length=20, choices=LeaseDocumentKind.choices)
    title = models.CharField(_("titel"), max_length=200)
    document_date = models.DateField(_("dokumentets dato"), null=True, blank=True)
    file = models.FileField(_("fil"), storage=lease_document_storage, max_length=300)
    original_name = models.CharField(_("filnavn"), max_length=200)
    content_type = models.CharField(_("filtype"), max_length=50)
    size = models.PositiveIntegerField(_("størrelse (bytes)"))
    uploaded_at = models.DateTimeField(_("uploadet"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploadet af"),
    )

    class Meta:
        verbose_name = _("lejemålsdokument")
        verbose_name_plural = _("lejemålsdokumenter")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["lease", "uploaded_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


# --- what the documents say about a person (core.personal_data) ------------------------------


class LeaseDocumentsPersonalData(Provider):
    """The documents on the person's leases: listed in the access bundle (type, title, date;
    the file itself is handed out on request), kept through anonymisation (lease law), so
    erasure says so. Registered as its own provider beside tenancy's."""

    app = "tenancy.documents"

    def _documents(self, subject: Subject):
        return LeaseDocument.objects.filter(
            lease__parties__in=list(subject.person_ids),
            organisation_id__in=subject.organisation_ids,
        ).distinct()

    def collect(self, subject: Subject) -> list[Section]:
        return [
            Section(
                self.app,
                "tenancy.lease_documents",
                str(_("Dokumenter på lejemål")),
                [
                    {
                        str(_("Lejemål")): d.lease.number,
                        str(_("Type")): str(d.get_kind_display()),
                        str(_("Titel")): d.title,
                        str(_("Dato")): d.document_date.isoformat() if d.document_date else None,
                        str(_("Uploadet")): d.uploaded_at.isoformat(),
                    }
                    for d in self._documents(subject).select_related("lease").order_by("pk")
                ],
            )
        ]

    def must_keep(self, subject: Subject) -> list[Keep]:
        count = self._documents(subject).count()
        if not count:
            return []
        return [
            Keep(
                self.app,
                str(
                    _(
                        "%d dokument(er) på lejemål (kontrakt, tillæg, huslejevarsler, "
                        "forbedringsforhøjelser, afgørelser og domme) bevares efter lejeloven."
                    )
                )
                % count,
            )
        ]

    def anonymise(self, subject: Subject) -> int:
        return 0  # kept on purpose (docs/privacy.md, "Lease documents")
