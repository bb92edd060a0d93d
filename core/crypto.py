"""CPR numbers at rest: Fernet encryption plus a keyed hash for exact search.

FIELD_ENCRYPTION_KEY holds one or more comma-separated Fernet keys; the first encrypts, all
decrypt (key rotation). The search hash is an HMAC-SHA256 keyed with its own secret,
CPR_HASH_KEY, so rotating the encryption key does not change a single hash. Installations
from before CPR_HASH_KEY existed leave it empty: the hash key is then derived from the first
encryption key, as it always was, so their hashes stay valid until they set one.
`manage.py rotate_cpr_keys` re-encrypts every ciphertext under the first key and recomputes
every hash when the hash key changed.
"""

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed

_LEGACY_PREFIX = b"boligkontor-cpr-search-v1:"
_HASH_PREFIX = b"boligkontor-cpr-search-v2:"


def encryption_keys() -> list[str]:
    """The configured Fernet keys, the encrypting one first."""
    return [k.strip() for k in settings.FIELD_ENCRYPTION_KEY.split(",") if k.strip()]


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in encryption_keys()])


@cache
def _current_fernet() -> Fernet:
    return Fernet(encryption_keys()[0])


def legacy_hash_key(fernet_key: str) -> bytes:
    """The hash key derived from an encryption key (before CPR_HASH_KEY existed)."""
    return hashlib.sha256(_LEGACY_PREFIX + fernet_key.strip().encode()).digest()


def hash_key_from_secret(secret: str) -> bytes:
    """The hash key made from a CPR_HASH_KEY value."""
    return hashlib.sha256(_HASH_PREFIX + secret.strip().encode()).digest()


@cache
def current_hash_key() -> bytes:
    secret = (getattr(settings, "CPR_HASH_KEY", "") or "").strip()
    if secret:
        return hash_key_from_secret(secret)
    return legacy_hash_key(encryption_keys()[0])


def candidate_hash_keys() -> list[bytes]:
    """Every hash key the existing hashes may have been made with: the current one, any
    previous CPR_HASH_KEY values (CPR_HASH_KEY_PREVIOUS) and the keys derived from each
    configured encryption key. The rotation command maps old hashes through these."""
    keys = [current_hash_key()]
    for secret in getattr(settings, "CPR_HASH_KEY_PREVIOUS", []) or []:
        if secret.strip():
            keys.append(hash_key_from_secret(secret))
    keys.extend(legacy_hash_key(k) for k in encryption_keys())
    return list(dict.fromkeys(keys))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def is_current(token: str) -> bool:
    """True when the ciphertext is already encrypted under the first (encrypting) key."""
    try:
        _current_fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def search_hash(value: str) -> str:
    return search_hash_with(value, current_hash_key())


def search_hash_with(value: str, key: bytes) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def reset() -> None:
    """Forget the cached keys (after the settings changed: tests, the rotation command)."""
    _fernet.cache_clear()
    _current_fernet.cache_clear()
    current_hash_key.cache_clear()


def _on_setting_changed(*, setting: str, **kwargs: object) -> None:
    if setting in {"FIELD_ENCRYPTION_KEY", "CPR_HASH_KEY", "CPR_HASH_KEY_PREVIOUS"}:
        reset()


setting_changed.connect(_on_setting_changed, dispatch_uid="core.crypto.reset")
