"""Customer-list upload files for Meta, Google and TikTok: a pure translation from contacts.

Each platform matches uploaded SHA-256 hashes against hashes of its own users' e-mail
addresses and phone numbers, so an identifier only matches if it was normalised exactly
as that platform normalises it before hashing. The rules below come from these pages
(the platforms' own documentation, as published in 2025):

- Meta: Marketing API guide "Customer File Custom Audiences", section "Hashing and
  normalization for multi-key" (EMAIL: trim, lowercase; PHONE: digits only, no leading
  zeros, with the country code) and its "Hashing" examples; Business Help Center "How to
  format a customer list when creating a custom audience" for the file's column headers.
- Google: Google Ads API guide "Customer Match" (trim, lowercase; the dots before
  gmail.com / googlemail.com need not be removed) and the `UserIdentifier` reference
  (phones in E.164 with '+'); Google Ads Help "Format your customer data file" and its
  Customer Match template for the column headers and E.164 before hashing.
- TikTok: TikTok Ads Manager help "List of supported IDs and formats for a customer file"
  (revision of August 2025: phones as digits with country code, '+' removed; e-mails
  lowercase, '+suffix' before '@' removed, must start with a letter or digit) and "How to
  create a Custom Audience with a customer file" (September 2025: also accepts phones
  without '+'; its one phone hash is of the digits-only form).

Phones are parsed with `phonenumbers` (libphonenumber's metadata) rather than stripped
of symbols by hand, so that a national number such as 020 7946 0958 gets the network's
country code and loses its trunk '0', and anything that is not a real number is refused.
An identifier that does not normalise is left out and counted, never exported raw.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

CSV_MEDIA_TYPE = "text/csv"


class Platform(StrEnum):
    META = "meta"
    GOOGLE = "google"
    TIKTOK = "tiktok"


class Identifier(StrEnum):
    """The kinds of contact data Shelfspace keeps and exports."""

    EMAIL = "email"
    PHONE = "phone"


class PhoneForm(StrEnum):
    """How a platform writes an E.164 number before hashing it."""

    E164 = "e164"  # "+447911123456"
    E164_DIGITS = "e164_digits"  # "447911123456": country code and number, no '+'


class EmailRule(StrEnum):
    """E-mail rules some platforms add to trimming and lowercasing (which all apply)."""

    DROP_PLUS_SUFFIX = "drop_plus_suffix"  # "jo+news@x.com" -> "jo@x.com"
    STARTS_ALPHANUMERIC = "starts_alphanumeric"  # the part before '@' starts with a letter or digit


@dataclass(frozen=True, slots=True)
class Contact:
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One upload file. `rows` counts data rows (after deduplication); `skipped` counts
    distinct contacts left out because none of their identifiers normalised;
    `invalid_identifiers` counts the e-mails and phones that did not normalise, including
    those of contacts exported on their other identifier."""

    filename: str
    media_type: str
    body: str
    rows: int
    skipped: int
    invalid_identifiers: int


@dataclass(frozen=True, slots=True)
class PlatformFormat:
    """What one platform's upload file looks like: its columns in order, each the header
    its template names for hashed values, and how it normalises before hashing."""

    columns: tuple[tuple[Identifier, str], ...]
    phone_form: PhoneForm
    email_rules: frozenset[EmailRule]


FORMATS: Mapping[Platform, PlatformFormat] = {
    # Business Help Center: "email" and "phone" columns (up to three of each), hashed or not.
    # Marketing API: phone digits with the country code and no leading zeros, so no '+'.
    Platform.META: PlatformFormat(
        columns=((Identifier.EMAIL, "email"), (Identifier.PHONE, "phone")),
        phone_form=PhoneForm.E164_DIGITS,
        email_rules=frozenset(),
    ),
    # "Format your customer data file": headers in English, "Email" and "Phone", several
    # identifiers of one customer on one row; hashed phones must be E.164 ('+' included).
    Platform.GOOGLE: PlatformFormat(
        columns=((Identifier.EMAIL, "Email"), (Identifier.PHONE, "Phone")),
        phone_form=PhoneForm.E164,
        email_rules=frozenset(),
    ),
    # "List of supported IDs and formats for a customer file": hashed columns are
    # "Email_SHA256" and "Phone_SHA256"; a file may hold several ID types (each header
    # at most three times).
    Platform.TIKTOK: PlatformFormat(
        columns=((Identifier.EMAIL, "Email_SHA256"), (Identifier.PHONE, "Phone_SHA256")),
        phone_form=PhoneForm.E164_DIGITS,
        email_rules=frozenset({EmailRule.DROP_PLUS_SUFFIX, EmailRule.STARTS_ALPHANUMERIC}),
    ),
}


def sha256_hex(text: str) -> str:
    """Lowercase hex SHA-256 of the UTF-8 text: the form all three platforms ask for."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_region(default_region: str) -> str:
    """The network's country as libphonenumber's region code ("GB"); a typo here would
    silently make every national number invalid, so it is refused instead."""
    region = default_region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {default_region!r}")
    return region


def normalise_email(platform: Platform, raw: str | None) -> str | None:
    """The address as `platform` hashes it, or None when blank or not an e-mail address.

    Every platform trims and lowercases; nobody asks for the Gmail dots to go (Google now
    says they need not). Syntax is checked with email-validator, without DNS."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    local, _, domain = text.lower().rpartition("@")
    rules = FORMATS[platform].email_rules
    if EmailRule.DROP_PLUS_SUFFIX in rules:
        local = local.split("+", 1)[0]
    if EmailRule.STARTS_ALPHANUMERIC in rules and not local[:1].isalnum():
        return None
    return f"{local}@{domain}"


def parse_phone(raw: str | None, default_region: str) -> phonenumbers.PhoneNumber | None:
    """A valid number, or None. National numbers take `default_region`'s country code.

    A number that is not valid there but is once read with a '+' is taken that way: the
    platforms show stored numbers as country code and digits without '+' ("12345678910",
    "374-93-828222"), and a national number rarely becomes valid by it."""
    text = (raw or "").strip()
    if not text:
        return None
    region = check_region(default_region)
    readings = [text] if text.startswith("+") else [text, "+" + text]
    for reading in readings:
        try:
            number = phonenumbers.parse(reading, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    return None


def format_phone(platform: Platform, number: phonenumbers.PhoneNumber) -> str:
    """The number written as `platform` hashes it (extensions are never part of it)."""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if FORMATS[platform].phone_form is PhoneForm.E164 else e164.removeprefix("+")


def normalise_phone(platform: Platform, raw: str | None, default_region: str) -> str | None:
    """The phone as `platform` hashes it, or None when blank or not a valid number."""
    number = parse_phone(raw, default_region)
    return None if number is None else format_phone(platform, number)


def export_file(platform: Platform, contacts: Iterable[Contact], default_region: str) -> ExportFile:
    """The platform's customer-list CSV: a header row, then one row per distinct contact
    with at least one usable identifier, every cell a SHA-256 hash or empty. Identical
    rows (the same person stored twice, or spelled twice) are written once."""
    region = check_region(default_region)
    layout = FORMATS[platform]
    rows: dict[tuple[str, ...], None] = {}  # insertion-ordered set
    skipped = invalid = 0
    for contact in dict.fromkeys(contacts):
        normalised = {
            Identifier.EMAIL: normalise_email(platform, contact.email),
            Identifier.PHONE: normalise_phone(platform, contact.phone, region),
        }
        given = {Identifier.EMAIL: contact.email, Identifier.PHONE: contact.phone}
        invalid += sum(1 for kind, value in normalised.items() if value is None and (given[kind] or "").strip())
        if all(value is None for value in normalised.values()):
            skipped += 1
            continue
        row = tuple("" if (value := normalised[kind]) is None else sha256_hex(value) for kind, _ in layout.columns)
        rows.setdefault(row)

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header for _, header in layout.columns])
    writer.writerows(rows)
    return ExportFile(
        filename=f"{platform.value}-customer-list.csv",
        media_type=CSV_MEDIA_TYPE,
        body=buffer.getvalue(),
        rows=len(rows),
        skipped=skipped,
        invalid_identifiers=invalid,
    )
