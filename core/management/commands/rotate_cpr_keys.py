"""Re-encrypt every CPR ciphertext under the first FIELD_ENCRYPTION_KEY and recompute every
CPR search hash under the current CPR_HASH_KEY.

The models are found by field name across the installed apps: every `<name>_encrypted`
field is a ciphertext; a `<name>_hash` field beside it is that value's search hash and is
recomputed from the plaintext. A `<name>_hash` field with no ciphertext beside it (an event
that kept only the hash) is mapped old hash -> new hash through the plaintexts found in the
ciphertext fields, under every key the old hash may have been made with
(core.crypto.candidate_hash_keys).

Resumable: rows are processed in batches by primary key, each batch in its own transaction,
and a row already under the current keys is left alone, so a run that stopped half-way is
simply started again. Append-only models are updated through a plain QuerySet: this
re-encryption changes no recorded fact.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction

from core import crypto

ENCRYPTED = "_encrypted"
HASH = "_hash"


@dataclass
class Target:
    model: type[models.Model]
    encrypted: list[str] = field(default_factory=list)  # ciphertext fields
    paired: dict[str, str] = field(default_factory=dict)  # hash field -> its ciphertext field
    hash_only: list[str] = field(default_factory=list)  # hash fields without a ciphertext

    @property
    def label(self) -> str:
        return self.model._meta.label


def discover() -> list[Target]:
    targets = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = {f.name for f in model._meta.concrete_fields}
        target = Target(model=model)
        for name in sorted(names):
            if name.endswith(ENCRYPTED):
                target.encrypted.append(name)
            elif name.startswith("cpr") and name.endswith(HASH):
                sibling = name[: -len(HASH)] + ENCRYPTED
                if sibling in names:
                    target.paired[name] = sibling
                else:
                    target.hash_only.append(name)
        if target.encrypted or target.hash_only:
            targets.append(target)
    return targets


class Command(BaseCommand):
    help = (
        "Re-encrypt every CPR number under the first FIELD_ENCRYPTION_KEY and recompute every "
        "CPR search hash under CPR_HASH_KEY (resumable: run it again after an interruption)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change, change nothing."
        )

    def handle(self, *args, batch_size: int, dry_run: bool, **options):
        crypto.reset()
        targets = discover()
        new_of_old: dict[str, str] = {}
        totals = {"rows": 0, "reencrypted": 0, "rehashed": 0, "unmapped": 0}
        for target in targets:
            if target.encrypted:
                counts = self.rotate_encrypted(target, batch_size, dry_run, new_of_old)
                self.report(target, counts, totals)
        for target in targets:
            if target.hash_only:
                counts = self.rotate_hash_only(target, batch_size, dry_run, new_of_old)
                self.report(target, counts, totals)
        self.stdout.write(
            "I alt: {rows} rækker, {reencrypted} krypteret igen, {rehashed} nye søgenøgler, "
            "{unmapped} søgenøgler uden kendt CPR-nummer.".format(**totals)
        )

    def report(self, target: Target, counts: dict[str, int], totals: dict[str, int]) -> None:
        for key, value in counts.items():
            totals[key] += value
        self.stdout.write(
            f"{target.label}: {counts['rows']} rækker, {counts['reencrypted']} krypteret igen, "
            f"{counts['rehashed']} nye søgenøgler, {counts['unmapped']} ukendte"
        )

    def batches(self, target: Target, fields: list[str], batch_size: int):
        """Rows as value dicts in primary-key order, one batch at a time."""
        queryset: models.QuerySet = models.QuerySet(model=target.model).order_by("pk")
        last = None
        while True:
            page = queryset if last is None else queryset.filter(pk__gt=last)
            rows = list(page.values("pk", *fields)[:batch_size])
            if not rows:
                return
            yield rows
            last = rows[-1]["pk"]

    def rotate_encrypted(
        self, target: Target, batch_size: int, dry_run: bool, new_of_old: dict[str, str]
    ) -> dict[str, int]:
        counts = {"rows": 0, "reencrypted": 0, "rehashed": 0, "unmapped": 0}
        keys = crypto.candidate_hash_keys()
        fields = target.encrypted + list(target.paired)
        for rows in self.batches(target, fields, batch_size):
            changes = []
            for row in rows:
                counts["rows"] += 1
                change = self.row_change(target, row, keys, new_of_old, counts)
                if change:
                    changes.append((row["pk"], change))
            if changes and not dry_run:
                self.save(target, changes)
        return counts

    def row_change(self, target, row, keys, new_of_old, counts) -> dict[str, str]:
        change: dict[str, str] = {}
        plain: dict[str, str] = {}
        for name in target.encrypted:
            token = row[name]
            if not token:
                continue
            value = crypto.decrypt(token)
            plain[name] = value
            new = crypto.search_hash(value)
            for key in keys:
                new_of_old[crypto.search_hash_with(value, key)] = new
            if not crypto.is_current(token):
                change[name] = crypto.encrypt(value)
                counts["reencrypted"] += 1
        for hash_name, encrypted_name in target.paired.items():
            if encrypted_name in plain:
                new = crypto.search_hash(plain[encrypted_name])
                if row[hash_name] != new:
                    change[hash_name] = new
                    counts["rehashed"] += 1
        return change

    def rotate_hash_only(
        self, target: Target, batch_size: int, dry_run: bool, new_of_old: dict[str, str]
    ) -> dict[str, int]:
        counts = {"rows": 0, "reencrypted": 0, "rehashed": 0, "unmapped": 0}
        current = set(new_of_old.values())
        for rows in self.batches(target, target.hash_only, batch_size):
            changes = []
            for row in rows:
                counts["rows"] += 1
                change = {}
                for name in target.hash_only:
                    old = row[name]
                    if not old or old in current:
                        continue
                    if old in new_of_old:
                        change[name] = new_of_old[old]
                        counts["rehashed"] += 1
                    else:
                        counts["unmapped"] += 1
                if change:
                    changes.append((row["pk"], change))
            if changes and not dry_run:
                self.save(target, changes)
        return counts

    def save(self, target: Target, changes: list[tuple[object, dict[str, str]]]) -> None:
        queryset: models.QuerySet = models.QuerySet(model=target.model)
        with transaction.atomic():
            for pk, change in changes:
                queryset.filter(pk=pk).update(**change)
