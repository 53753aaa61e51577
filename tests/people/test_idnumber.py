"""GB 11643-1999 citizen ID numbers: checksum (ISO 7064 MOD 11-2), birth date and sex."""

import datetime as dt

import pytest

from zhizhi.people.idnumber import IdNumberError, check_digit, make_id_number, parse_id_number


def test_accepts_the_standard_example_with_x_checksum_and_derives_birth_and_sex():
    info = parse_id_number("11010519491231002X")
    assert info.region_code == "110105"
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == "F"  # 17th digit 2 is even


def test_accepts_lower_case_x_and_spaces():
    assert parse_id_number(" 110105 19491231 002x ").number == "11010519491231002X"


def test_odd_sequence_digit_means_male():
    number = make_id_number("330105", dt.date(1975, 2, 28), 13, "M")
    assert int(number[16]) % 2 == 1
    assert parse_id_number(number).sex == "M"


@pytest.mark.parametrize(
    ("first17", "expected"),
    [("11010519491231002", "X"), ("44052418800101001", "4")],
)
def test_check_digit_follows_the_weighted_sum(first17, expected):
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    assert "10X98765432"[total % 11] == expected
    assert check_digit(first17) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "checksum digit should be X"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100ZX", "17 digits"),
        ("110105194902300028", "not a real date"),
        ("010105194912310021", "region code"),
        ("110105189912310021", "out of range"),
    ],
)
def test_rejects_malformed_numbers_with_the_reason(raw, reason):
    with pytest.raises(IdNumberError, match=reason):
        parse_id_number(raw)


def test_rejects_a_birth_date_in_the_future():
    number = make_id_number("330105", dt.date(2030, 1, 1), 1, "F")
    with pytest.raises(IdNumberError, match="out of range"):
        parse_id_number(number, today=dt.date(2026, 11, 27))


def test_synthetic_numbers_always_pass_the_checksum():
    for n in range(200):
        number = make_id_number("330105", dt.date(1950, 1, 1) + dt.timedelta(days=97 * n), n, "MF"[n % 2])
        assert parse_id_number(number).sex == "MF"[n % 2]
