"""CPR numbers at rest: Fernet encryption plus a keyed hash for exact search.

FIELD_ENCRYPTION_KEY holds one or more comma-separated Fernet keys; the first encrypts, all
decrypt (key rotation). The search hash is an HMAC-SHA256 keyed with a key derived from the
first encryption key, so the hash is useless without the secret.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.FIELD_ENCRYPTION_KEY.split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys])


@cache
def _hash_key() -> bytes:
    first = settings.FIELD_ENCRYPTION_KEY.split(",")[0].strip().encode()
    return hashlib.sha256(b"boligkontor-cpr-search-v1:" + first).digest()


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def search_hash(value: str) -> str:
    return hmac.new(_hash_key(), value.encode(), hashlib.sha256).hexdigest()
