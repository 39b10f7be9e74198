"""The customer-list files for Meta, Google and TikTok: each platform's own documented
examples, normalisation edge cases, deduplication and the CSV's shape.

Every hash quoted below was recomputed with hashlib before it went in, and only examples
whose text and hash agree are asserted as the platform wrote them."""

from __future__ import annotations

import csv
import io
import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfspace.audiences.offsite import (
    Contact,
    ExportFile,
    Platform,
    export_file,
    format_phone,
    normalise_email,
    normalise_phone,
    sha256_hex,
)

HEADERS = {
    Platform.META: ["email", "phone"],
    Platform.GOOGLE: ["Email", "Phone"],
    Platform.TIKTOK: ["Email_SHA256", "Phone_SHA256"],
}
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def parsed(export: ExportFile) -> list[list[str]]:
    return list(csv.reader(io.StringIO(export.body)))


def data_rows(export: ExportFile) -> list[list[str]]:
    return parsed(export)[1:]


# --- Meta ----------------------------------------------------------------------------


def test_meta_documented_hash_of_an_email() -> None:
    # Marketing API guide "Customer File Custom Audiences", section "Hashing":
    # hash("sha256", "mary@example.com") -> f1904cf1...bb79
    documented = "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
    assert normalise_email(Platform.META, "  Mary@Example.COM ") == "mary@example.com"
    export = export_file(Platform.META, [Contact(email="  Mary@Example.COM ", phone=None)], "US")
    assert data_rows(export) == [[documented, ""]]


def test_meta_documented_hash_of_a_phone() -> None:
    # Same page: hash("sha256", "15559876543") -> 1ef97083...6a4e. The number is in the
    # fictional 555 range, which libphonenumber rightly calls invalid, so it cannot go
    # through export_file; the digits form and the hash are checked on their own.
    documented = "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e"
    number = phonenumbers.PhoneNumber(country_code=1, national_number=5559876543)
    assert format_phone(Platform.META, number) == "15559876543"
    assert sha256_hex("15559876543") == documented
    assert normalise_phone(Platform.META, "+1 555 987 6543", "US") is None


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        # Business Help Center "How to format a customer list when creating a custom
        # audience": accepted phone examples, all carrying their country code.
        ("1-234-567-8910", "12345678910"),
        ("12345678910", "12345678910"),
        ("+44 844 412 4653", "448444124653"),
    ],
)
def test_meta_documented_phone_formats_become_digits_with_country_code(raw: str, normalised: str) -> None:
    assert normalise_phone(Platform.META, raw, "GB") == normalised


# --- Google --------------------------------------------------------------------------


def test_google_documented_e164_example() -> None:
    # Google Ads API reference "UserIdentifier": phone numbers in E.164, e.g. +16502531234.
    assert normalise_phone(Platform.GOOGLE, "(650) 253-1234", "US") == "+16502531234"
    assert normalise_phone(Platform.GOOGLE, "+1 650 253 1234", "GB") == "+16502531234"


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        # Google Ads Customer Match CSV template (linked from "Format your customer data
        # file"): its example phones, written with the country code.
        ("1-800-888-8888", "+18008888888"),
        ("18008888899", "+18008888899"),
        ("1(800)888-8888", "+18008888888"),
    ],
)
def test_google_template_phones_become_e164_with_plus(raw: str, normalised: str) -> None:
    assert normalise_phone(Platform.GOOGLE, raw, "US") == normalised


def test_google_keeps_gmail_dots() -> None:
    # Google Ads API guide "Customer Match": the periods before gmail.com and
    # googlemail.com need not be removed, they are still accepted. So they stay.
    assert normalise_email(Platform.GOOGLE, " Jane.Doe@GMAIL.com") == "jane.doe@gmail.com"
    assert normalise_email(Platform.GOOGLE, "jane.doe@googlemail.com") == "jane.doe@googlemail.com"


# --- TikTok --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "normalised"),
    [
        # TikTok Ads help "List of supported IDs and formats for a customer file"
        # (August 2025): "(657)777-0000" is normalised to "16577770000" and
        # "374-93-828222" to "37493828222".
        ("(657)777-0000", "US", "16577770000"),
        ("374-93-828222", "GB", "37493828222"),
        ("+37493828222", "GB", "37493828222"),
    ],
)
def test_tiktok_documented_phone_normalisation(raw: str, region: str, normalised: str) -> None:
    assert normalise_phone(Platform.TIKTOK, raw, region) == normalised


def test_tiktok_documented_hashes() -> None:
    # TikTok Ads help "How to create a Custom Audience with a customer file" (September
    # 2025), hashed examples. E-mail: normalised "janedoe@gmail.com" -> d6117306...6c69.
    # Phone: 65b7e6dc...22d4, which is the hash of "37493828222" (digits only), although
    # the page prints the normalised form as "+37493828222".
    email_hash = "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
    phone_hash = "65b7e6dcf6f4310f8d7cbfbd78289a753062fb054d6664fb9aaac5df66a422d4"
    export = export_file(Platform.TIKTOK, [Contact(email="janedoe@gmail.com", phone="+37493828222")], "GB")
    assert data_rows(export) == [[email_hash, phone_hash]]


def test_tiktok_email_rules() -> None:
    # "List of supported IDs and formats for a customer file": lowercase; the ID starts
    # with a letter or digit (its example: firstname-lastname@gmail.com); '+' and what
    # follows it up to '@' removed.
    assert normalise_email(Platform.TIKTOK, "firstname-lastname@gmail.com") == "firstname-lastname@gmail.com"
    assert normalise_email(Platform.TIKTOK, " Jo+Offers@Example.com ") == "jo@example.com"
    assert normalise_email(Platform.TIKTOK, "_jo@example.com") is None
    assert normalise_email(Platform.TIKTOK, "+jo@example.com") is None
    # The other platforms keep the plus suffix: it is part of the address they hash.
    assert normalise_email(Platform.META, "jo+offers@example.com") == "jo+offers@example.com"
    assert normalise_email(Platform.GOOGLE, "jo+offers@example.com") == "jo+offers@example.com"


# --- edge cases ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["+44 (0)20 7946 0958", "020 7946 0958", "0044 20 7946 0958", "(020) 7946-0958", " +442079460958 "],
)
def test_national_and_international_spellings_of_one_number(raw: str) -> None:
    assert normalise_phone(Platform.META, raw, "GB") == "442079460958"
    assert normalise_phone(Platform.GOOGLE, raw, "GB") == "+442079460958"
    assert normalise_phone(Platform.TIKTOK, raw, "GB") == "442079460958"


def test_the_default_region_decides_national_numbers_only() -> None:
    assert normalise_phone(Platform.GOOGLE, "07911 123456", "GB") == "+447911123456"
    assert normalise_phone(Platform.GOOGLE, "+44 7911 123456", "US") == "+447911123456"
    assert normalise_phone(Platform.GOOGLE, "07911 123456", "gb") == "+447911123456"


def test_an_extension_is_not_part_of_the_number() -> None:
    assert normalise_phone(Platform.GOOGLE, "+44 7911 123456 ext. 12", "GB") == "+447911123456"


@pytest.mark.parametrize("raw", ["12345", "not a phone", "+44 20 7946", "000000000000", "07700 900123"])
def test_invalid_phones_are_refused(raw: str) -> None:
    # 07700 900xxx is Ofcom's range for drama, never assigned: libphonenumber says invalid.
    for platform in Platform:
        assert normalise_phone(platform, raw, "GB") is None


@pytest.mark.parametrize("raw", ["not-an-email", "jo@", "@example.com", "jo@localhost", "j o@example.com", "jo@@x.com"])
def test_invalid_emails_are_refused(raw: str) -> None:
    for platform in Platform:
        assert normalise_email(platform, raw) is None


def test_uppercase_and_spaces_in_emails() -> None:
    for platform in Platform:
        assert normalise_email(platform, "\t JANE@Example.Co.UK \n") == "jane@example.co.uk"


def test_an_unknown_region_is_an_error_not_an_empty_file() -> None:
    with pytest.raises(ValueError, match="region"):
        export_file(Platform.META, [Contact(email="a@example.com", phone=None)], "UK")


def test_invalid_identifiers_are_skipped_and_counted_never_exported_raw() -> None:
    contacts = [
        Contact(email="not-an-email", phone=None),  # nothing usable: skipped
        Contact(email=None, phone="12345"),  # nothing usable: skipped
        Contact(email=None, phone=None),  # nothing at all: skipped, no invalid identifier
        Contact(email="not-an-email", phone="07911 123456"),  # exported on its phone
        Contact(email="jo@example.com", phone="12345"),  # exported on its e-mail
    ]
    for platform in Platform:
        export = export_file(platform, contacts, "GB")
        assert (export.rows, export.skipped, export.invalid_identifiers) == (2, 3, 4)
        assert "not-an-email" not in export.body and "12345" not in export.body
        email = normalise_email(platform, "jo@example.com")
        phone = normalise_phone(platform, "07911 123456", "GB")
        assert email is not None and phone is not None
        assert data_rows(export) == [["", sha256_hex(phone)], [sha256_hex(email), ""]]


def test_identical_rows_are_written_once() -> None:
    contacts = [
        Contact(email="jo@example.com", phone="07911 123456"),
        Contact(email="jo@example.com", phone="07911 123456"),  # the same contact twice
        Contact(email=" JO@Example.com", phone="+44 7911 123456"),  # spelled differently
        Contact(email="jo@example.com", phone=None),  # a different row
    ]
    export = export_file(Platform.GOOGLE, contacts, "GB")
    assert export.rows == 2 and export.skipped == 0
    assert data_rows(export) == [
        [sha256_hex("jo@example.com"), sha256_hex("+447911123456")],
        [sha256_hex("jo@example.com"), ""],
    ]


def test_tiktok_plus_suffixes_collapse_into_one_row() -> None:
    contacts = [Contact(email="jo+a@example.com", phone=None), Contact(email="jo+b@example.com", phone=None)]
    assert export_file(Platform.TIKTOK, contacts, "GB").rows == 1
    assert export_file(Platform.META, contacts, "GB").rows == 2


@pytest.mark.parametrize("platform", list(Platform))
def test_the_csv_parses_back_with_exactly_the_documented_headers(platform: Platform) -> None:
    contacts = [
        Contact(email="a@example.com", phone="07911 123456"),
        Contact(email=None, phone="07400 654321"),
    ]
    export = export_file(platform, contacts, "GB")
    table = parsed(export)
    assert table[0] == HEADERS[platform]
    assert len(table) == 1 + export.rows == 3
    assert all(len(row) == len(HEADERS[platform]) for row in table)
    assert export.filename == f"{platform.value}-customer-list.csv"
    assert export.media_type == "text/csv"


def test_an_empty_audience_is_a_header_only_file() -> None:
    export = export_file(Platform.META, [], "GB")
    assert parsed(export) == [["email", "phone"]]
    assert (export.rows, export.skipped, export.invalid_identifiers) == (0, 0, 0)


# --- properties ----------------------------------------------------------------------


@st.composite
def contact_lists(draw: st.DrawFn) -> list[Contact]:
    """Contacts whose usable identifiers are distinct by construction (each gets its own
    number), in any spelling (case, spaces, national or international phone), some with
    an unusable identifier or none, with exact duplicates mixed in: so the distinct
    contacts are exactly the distinct rows plus the skipped."""
    ids = draw(st.lists(st.integers(0, 999_999), unique=True, max_size=25))
    contacts = []
    for i in ids:
        email = f"user{i}@example.com"
        if draw(st.booleans()):
            email = f"  {email.upper()} "
        phone = draw(st.sampled_from([f"07400 {i:06d}", f"+44 7400 {i:06d}", f"(0)7400-{i:06d}"]))
        bad_email = draw(st.sampled_from([f"user{i}", f"user{i}@", f"user {i}@example.com"]))
        bad_phone = draw(st.sampled_from([str(i % 1000), "+44", "12"]))
        kinds = [
            (email, None),
            (None, phone),
            (email, phone),
            (email, bad_phone),
            (bad_email, phone),
            (bad_email, None),
            (None, bad_phone),
            (bad_email, bad_phone),
            (None, None),
        ]
        contacts.append(Contact(*draw(st.sampled_from(kinds))))
    duplicates = draw(st.lists(st.sampled_from(contacts), max_size=5)) if contacts else []
    return contacts + duplicates


@settings(max_examples=60, deadline=None)
@given(platform=st.sampled_from(list(Platform)), contacts=contact_lists())
def test_every_value_is_a_hash_and_every_contact_is_a_row_or_skipped(
    platform: Platform, contacts: list[Contact]
) -> None:
    export = export_file(platform, contacts, "GB")
    rows = data_rows(export)
    assert len(rows) == export.rows
    assert export.rows + export.skipped == len(set(contacts))
    assert all(cell == "" or SHA256_HEX.fullmatch(cell) for row in rows for cell in row)
    assert all(any(row) for row in rows)


@settings(max_examples=60, deadline=None)
@given(
    platform=st.sampled_from(list(Platform)),
    contacts=st.lists(
        st.builds(
            Contact, email=st.none() | st.text(max_size=30) | st.emails(), phone=st.none() | st.text(max_size=20)
        ),
        max_size=15,
    ),
)
def test_arbitrary_input_never_leaks_raw_values(platform: Platform, contacts: list[Contact]) -> None:
    export = export_file(platform, contacts, "GB")
    rows = data_rows(export)
    assert len(rows) == export.rows == len({tuple(row) for row in rows})
    assert export.rows + export.skipped <= len(set(contacts))
    assert all(cell == "" or SHA256_HEX.fullmatch(cell) for row in rows for cell in row)
