"""Personal information (个人信息保护法): encryption at rest, blind indexes for exact lookup, masking for lists.

ID numbers and phones are stored three ways on a record:
  * `<field>` — Fernet ciphertext (MultiFernet: the first key of ZHIZHI_FIELD_KEY encrypts, all keys decrypt,
    so keys rotate by prepending a new one);
  * `<field>_hash` — HMAC-SHA256 of the normalised value, for exact search and de-duplication without decrypting;
  * `<field>_masked` — what lists show (330105********1234, 138****5678); lists never load the ciphertext.
The HMAC key is derived from the *last* (oldest) field key so that rotation does not break lookups.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@functools.cache
def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in settings.FIELD_ENCRYPTION_KEYS])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"ZHIZHI_FIELD_KEY is not a valid Fernet key: {exc}") from exc


@functools.cache
def _index_key() -> bytes:
    oldest = settings.FIELD_ENCRYPTION_KEYS[-1].encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"zhizhi", info=b"blind-index").derive(oldest)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("cannot decrypt a protected field: wrong ZHIZHI_FIELD_KEY?") from exc


def normalise(value: str) -> str:
    return "".join(value.split()).upper()


def blind_index(value: str) -> str:
    """Deterministic keyed hash of a normalised value; equal inputs give equal hashes."""
    return hmac.new(_index_key(), normalise(value).encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """330105194901011234 → 330105********1234."""
    v = normalise(value)
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    v = normalise(value)
    if len(v) >= 11:
        return v[:3] + "*" * (len(v) - 7) + v[-4:]
    if len(v) <= 2:
        return "*" * len(v)
    return "*" * (len(v) - 2) + v[-2:]


def mask_name(value: str) -> str:
    """张阿姨 → 张**; for public pages (e.g. a reporter's name)."""
    return value[:1] + "*" * (len(value) - 1) if value else ""


class EncryptedTextField(models.TextField):
    """A text column holding Fernet ciphertext; Python code sees plaintext."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
