"""`manage.py gctp_sim_build [--out var/gctp-sim.json] [--seed 1]`: the GCTP simulator's
register, derived from the portfolio in the database.

The simulator plays the CPR register; this command plays "the CPR register as it would look
for this portfolio". For every unit of every organisation it writes the DAR address (adresse-
id, husnummer-id, kommunekode, vejkode, husnr, etage, dør) with the owner CVR = the
property's organisation, and a population from the lease parties:

* an active lease: its parties are registered at the unit from the lease start;
* an ended lease: its parties moved out at the lease end (some more than a year ago, which
  the simulator then no longer returns);

plus deliberate disagreements, so that reconciliation has something to find:

* ~3 % of let units (active lease) have nobody registered;
* ~3 % of units without an active lease (vacant, used by the owner) have someone registered
  who holds no lease;
* ~2 % of active leases: the holders moved out per CPR while the lease still runs;
* protected persons as in the database, plus ~0.3 % more protected only in CPR.

Registered CVRs are the organisations with ``cpr_service_registered``. Users: the
product's own GCTP_USERID/GCTP_PASSWORD, so the demo signs on out of the box.

The file holds CPR numbers in clear: it *is* the simulated register. It goes to var/ (git-
ignored) with mode 0600. Built with ``values_list`` iteration and no per-row queries: 600,000
units take well under a minute. Same database + same seed → the same file.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import json
import os
import random
import tempfile
import time
import urllib.request
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core import crypto
from tenancy.choices import LeaseStatus
from tenancy.demo_data import make_cpr, random_date, random_name
from tenancy.models import Lease, Organisation, Person, Unit

NOBODY_REGISTERED_SHARE = 0.03
SQUATTER_SHARE = 0.03
MOVED_OUT_SHARE = 0.02
EXTRA_PROTECTED_SHARE = 0.003
CHUNK = 5000


def build_register(*, seed: int = 1, today: date | None = None, disagreements: bool = True) -> dict:
    """The simulator's data file content (see docs/gctp-simulator.md) from the database.

    ``disagreements=False`` gives a register that agrees exactly with the leases (tests).
    The result's ``summary`` counts what was written, including each kind of disagreement.
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic register, not security
    today = today or date.today()  # noqa: DTZ011 - a calendar date like CPR's
    summary: dict[str, int] = defaultdict(int)

    cvr_by_org = dict(Organisation.objects.values_list("id", "cvr"))
    registered = sorted(
        Organisation.objects.filter(cpr_service_registered=True).values_list("cvr", flat=True)
    )

    addresses = []
    unit_dar: dict[int, str] = {}
    units = (
        Unit.objects.order_by("id")
        .values_list(
            "id",
            "dar_id",
            "floor",
            "door",
            "entrance__dar_id",
            "entrance__municipality_code",
            "entrance__road_code",
            "entrance__house_number",
            "entrance__building__property__organisation_id",
        )
        .iterator(chunk_size=CHUNK)
    )
    for unit_id, dar_id, floor, door, house_id, komkod, vejkod, husnr, org_id in units:
        dar = str(dar_id)
        unit_dar[unit_id] = dar
        addresses.append(
            {
                "id": dar,
                "house_id": str(house_id),
                "municipality_code": komkod,
                "road_code": vejkod,
                "house_number": husnr,
                "floor": floor,
                "door": door,
                "owner_cvr": cvr_by_org[org_id],
            }
        )
    summary["addresses"] = len(addresses)

    # lease id -> (unit id, start, end, active)
    leases: dict[int, tuple[int, date, date | None, bool]] = {}
    let_units: set[int] = set()
    for lease_id, unit_id, start, end, status in (
        Lease.objects.order_by("id")
        .values_list("id", "unit_id", "start_date", "end_date", "status")
        .iterator(chunk_size=CHUNK)
    ):
        active = status == LeaseStatus.ACTIVE and (end is None or end >= today)
        leases[lease_id] = (unit_id, start, end, active)
        if active:
            let_units.add(unit_id)
    parties: dict[int, list[int]] = defaultdict(list)
    for lease_id, person_id in (
        Lease.parties.through.objects.order_by("lease_id", "person_id")
        .values_list("lease_id", "person_id")
        .iterator(chunk_size=CHUNK)
    ):
        parties[lease_id].append(person_id)

    # Decide the disagreements per lease/unit first, in id order (reproducible).
    nobody_registered: set[int] = set()  # lease ids whose parties are not registered
    moved_out: dict[int, date] = {}  # lease id -> move-out per CPR
    if disagreements:
        for lease_id, (_, start, _, active) in leases.items():
            if not active:
                continue
            roll = rng.random()
            if roll < NOBODY_REGISTERED_SHARE:
                nobody_registered.add(lease_id)
            elif roll < NOBODY_REGISTERED_SHARE + MOVED_OUT_SHARE:
                earliest = max(start + timedelta(days=1), today - timedelta(days=300))
                if earliest < today:
                    moved_out[lease_id] = random_date(rng, earliest, today - timedelta(days=1))
    summary["let_units_nobody_registered"] = len(
        {leases[lease_id][0] for lease_id in nobody_registered}
    )
    summary["holders_moved_out_lease_running"] = len(moved_out)

    # person id -> registrations
    registrations: dict[int, list[dict]] = defaultdict(list)
    for lease_id, (unit_id, start, end, active) in leases.items():
        if lease_id in nobody_registered:
            continue
        move_out = moved_out.get(lease_id) if active else end
        for person_id in parties.get(lease_id, ()):
            registrations[person_id].append(
                {
                    "address_id": unit_dar[unit_id],
                    "move_in": start.isoformat(),
                    "move_out": move_out.isoformat() if move_out else None,
                }
            )

    people = []
    used_cprs: set[str] = set()
    persons = [
        row
        for row in Person.objects.order_by("id")
        .values_list("id", "name", "protected", "cpr_encrypted", "birth_date")
        .iterator(chunk_size=CHUNK)
        if row[0] in registrations
    ]
    decrypted = iter(decrypt_cprs([row[3] for row in persons if row[3]]))
    cprs = [next(decrypted) if row[3] else "" for row in persons]
    used_cprs.update(cprs)
    for (person_id, name, protected, _, birth_date), cpr in zip(persons, cprs, strict=True):
        if not cpr:  # the product has no CPR for this person; CPR of course has one
            cpr = _fresh_cpr(rng, used_cprs, birth_date)
            summary["people_without_cpr_in_db"] += 1
        if not protected and disagreements and rng.random() < EXTRA_PROTECTED_SHARE:
            protected = True
            summary["protected_only_in_cpr"] += 1
        summary["protected"] += protected
        people.append(
            {
                "cpr": cpr,
                "name": name,
                "protected": protected,
                "registrations": registrations[person_id],
            }
        )

    if disagreements:
        vacant = [u for u in unit_dar if u not in let_units]
        for unit_id in vacant:
            if rng.random() >= SQUATTER_SHARE:
                continue
            male = rng.random() < 0.5
            birth = random_date(rng, date(1940, 1, 1), date(2004, 12, 31))
            move_in = random_date(rng, today - timedelta(days=3 * 365), today)
            people.append(
                {
                    "cpr": _fresh_cpr(rng, used_cprs, birth, male=male),
                    "name": random_name(rng, male=male),
                    "protected": rng.random() < 0.01,
                    "registrations": [
                        {
                            "address_id": unit_dar[unit_id],
                            "move_in": move_in.isoformat(),
                            "move_out": None,
                        }
                    ],
                }
            )
            summary["unlet_units_someone_registered"] += 1

    summary["people"] = len(people)
    summary["registrations"] = sum(len(p["registrations"]) for p in people)
    summary["registered_cvrs"] = len(registered)
    return {
        "format": "gctp-sim/1",
        "seed": seed,
        "built_for": today.isoformat(),
        "users": {settings.GCTP_USERID: settings.GCTP_PASSWORD},
        "registered_cvrs": registered,
        "addresses": addresses,
        "people": people,
        "summary": dict(summary),
    }


def decrypt_cprs(tokens: list[str]) -> list[str]:
    """Decrypt many CPR numbers (Fernet tokens from core.crypto) fast.

    ``crypto.decrypt`` costs ~100 µs a token (a new AES context each time): minutes for a
    600,000-unit portfolio. A CPR number is one AES block, so CBC decryption is one ECB
    block decryption XOR the IV: one ECB context decrypts the whole batch after each token's
    HMAC has been verified exactly as Fernet does. Anything else (an older key, a longer
    value, a bad MAC) takes the general ``crypto.decrypt`` path, which raises on a bad MAC.
    """
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEY.split(",") if k.strip()]
    key = base64.urlsafe_b64decode(keys[0])
    signing_key, encryption_key = key[:16], key[16:]
    out: list[str | None] = [None] * len(tokens)
    pending: list[tuple[int, bytes]] = []
    blocks = []
    for i, token in enumerate(tokens):
        data = base64.urlsafe_b64decode(token)
        if (
            len(data) != 73  # version 1 + time 8 + IV 16 + one block 16 + HMAC 32
            or data[0] != 0x80
            or not hmac.compare_digest(
                hmac.new(signing_key, data[:-32], hashlib.sha256).digest(), data[-32:]
            )
        ):
            out[i] = crypto.decrypt(token)
            continue
        pending.append((i, data[9:25]))
        blocks.append(data[25:41])
    ecb = Cipher(algorithms.AES(encryption_key), modes.ECB()).decryptor()  # noqa: S305 - CBC by hand, one block per token
    plain = ecb.update(b"".join(blocks)) + ecb.finalize()
    for n, (i, iv) in enumerate(pending):
        block = bytes(a ^ b for a, b in zip(plain[16 * n : 16 * n + 16], iv, strict=True))
        pad = block[-1]
        if not 1 <= pad <= 16 or block[-pad:] != bytes([pad]) * pad:
            out[i] = crypto.decrypt(tokens[i])
            continue
        out[i] = block[:-pad].decode()
    return out  # type: ignore[return-value]


def _fresh_cpr(
    rng: random.Random, used: set[str], birth: date | None, *, male: bool | None = None
) -> str:
    birth = birth or random_date(rng, date(1940, 1, 1), date(2004, 12, 31))
    while True:
        cpr = make_cpr(rng, birth, male=rng.random() < 0.5 if male is None else male)
        if cpr not in used:
            used.add(cpr)
            return cpr


def write_register(data: dict, out: Path) -> None:
    """Write atomically (a running simulator may reload at any moment), mode 0600."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".gctp-sim-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            _dump(data, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _dump(data: dict, fh) -> None:
    """json.dump with the C encoder, the long lists in slices: fast without holding the
    whole 250 MB text of a 600,000-dwelling register in memory."""

    def enc(value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    fh.write("{")
    for n, (key, value) in enumerate(data.items()):
        fh.write(("," if n else "") + enc(key) + ":")
        if isinstance(value, list) and len(value) > CHUNK:
            fh.write("[")
            for i in range(0, len(value), CHUNK):
                fh.write(("," if i else "") + enc(value[i : i + CHUNK])[1:-1])
            fh.write("]")
        else:
            fh.write(enc(value))
    fh.write("}")


class Command(BaseCommand):
    help = "Byg GCTP-simulatorens CPR-register ud fra porteføljen i databasen."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "var" / "gctp-sim.json"))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--no-disagreements",
            action="store_true",
            help="register agrees exactly with the leases (no deliberate differences)",
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="ask the simulator at GCTP_BASE_URL to reload the file (POST /_sim/reload)",
        )

    def handle(self, *args, out, seed, no_disagreements, reload, **options):
        started = time.monotonic()
        snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
        with transaction.atomic():
            if snapshot:
                # One snapshot for all queries, even while the product keeps writing.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            gc.disable()  # millions of long-lived objects: the cyclic GC would rescan them
            try:
                data = build_register(seed=seed, disagreements=not no_disagreements)
            finally:
                gc.enable()
        built = time.monotonic()
        write_register(data, Path(out))
        done = time.monotonic()
        s = data["summary"]
        self.stdout.write(
            f"{out}: {s['addresses']:,} adresser, {s['people']:,} personer, "
            f"{s['registrations']:,} registreringer, {s['registered_cvrs']} tilmeldte CVR "
            f"(bygget {built - started:.1f}s, skrevet {done - built:.1f}s)"
        )
        self.stdout.write(
            "Bevidste uoverensstemmelser: "
            f"{s.get('let_units_nobody_registered', 0):,} udlejede enheder uden tilmeldte, "
            f"{s.get('unlet_units_someone_registered', 0):,} tomme/ejerboliger med tilmeldte, "
            f"{s.get('holders_moved_out_lease_running', 0):,} fraflyttet med løbende lejemål, "
            f"{s.get('protected_only_in_cpr', 0):,} beskyttede kun i CPR"
        )
        if reload:
            self._reload()

    def _reload(self) -> None:
        url = urlsplit(settings.GCTP_BASE_URL)
        if url.scheme not in ("http", "https"):
            raise CommandError("GCTP_BASE_URL er ikke en http(s)-adresse")
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            f"{url.scheme}://{url.netloc}/_sim/reload", data=b"{}", method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310
                self.stdout.write(f"Simulatoren har genindlæst: {resp.read().decode()}")
        except OSError as exc:
            self.stderr.write(f"Kunne ikke genindlæse simulatoren ({exc}); genstart den.")
