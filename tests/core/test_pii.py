import pytest
from django.core.exceptions import ImproperlyConfigured

from zhizhi.core import pii


def test_masks_id_numbers_like_the_ministry_form():
    assert pii.mask_id_number("330105194901011234") == "330105********1234"


def test_masks_mobile_and_short_numbers():
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_phone("85123456") == "******56"
    assert pii.mask_name("张阿姨") == "张**"


def test_encryption_round_trips_and_is_not_plaintext():
    token = pii.encrypt("330105194901011234")
    assert "330105" not in token
    assert pii.decrypt(token) == "330105194901011234"
    assert pii.encrypt("x") != pii.encrypt("x")  # randomised


def test_blind_index_is_deterministic_and_normalised():
    assert pii.blind_index("33010519490101123x") == pii.blind_index(" 33010519490101123X ")
    assert pii.blind_index("1") != pii.blind_index("2")


def test_rotated_keys_still_decrypt_old_values(settings):
    old = pii.encrypt("13812345678")
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    pii._fernet.cache_clear()
    try:
        assert pii.decrypt(old) == "13812345678"
        new = pii.encrypt("13812345678")
        settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[1:]
        pii._fernet.cache_clear()
        with pytest.raises(ImproperlyConfigured):
            pii.decrypt(new)
    finally:
        pii._fernet.cache_clear()


@pytest.mark.django_db
def test_id_numbers_are_stored_encrypted_in_the_database(personas):
    from django.db import connection

    zhang = personas["zhang_record"]
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM people_resident WHERE id = %s", [zhang.pk])
        stored_id, stored_phone = cur.fetchone()
    assert zhang.id_number not in stored_id and "13812345678" not in stored_phone
    assert pii.decrypt(stored_id) == zhang.id_number
