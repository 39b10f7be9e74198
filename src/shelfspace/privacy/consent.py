"""May a person's own data (their audiences, their history) choose the ads they see?

Two ways to say it, both from the operator's consent banner: a plain flag, or an IAB TCF
v2 consent string (the form ad tech passes around, e.g. in OpenRTB `user.consent`),
decoded with the `iab-tcf` library. Under TCF, personalised ads need the person's consent
to three purposes of the IAB's list: 1 (store or access information on a device),
3 (create a personalised ads profile) and 4 (select personalised ads). Shelfspace serves
the operator's own space as the operator's own tool, so the operator's consent as the
publisher counts: a purpose granted in the publisher segment is granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from iab_tcf import decode  # type: ignore[import-untyped]

# TCF v2 purposes: store/access on a device, create a personalised ads profile, select
# personalised ads.
PERSONALISED_ADS_PURPOSES = (1, 3, 4)


class ConsentReason(StrEnum):
    """Why targeting is or is not allowed for one request."""

    FLAG_GIVEN = "flag_given"  # the operator's own flag says yes
    FLAG_REFUSED = "flag_refused"  # the flag says no, or says nothing
    GDPR_NOT_APPLICABLE = "gdpr_not_applicable"  # regs say GDPR does not apply and no string was sent
    TCF_GRANTED = "tcf_granted"  # the TCF string grants purposes 1, 3 and 4
    TCF_PURPOSE_MISSING = "tcf_purpose_missing"  # the TCF string lacks one of them
    NO_CONSENT_STRING = "no_consent_string"  # GDPR applies (or may) and no string was sent
    UNREADABLE_STRING = "unreadable_consent_string"  # a string was sent that is not TCF v2


@dataclass(frozen=True, slots=True)
class ConsentVerdict:
    allowed: bool
    reason: ConsentReason
    missing_purposes: tuple[int, ...] = ()


class InvalidConsentString(ValueError):
    """The TCF string does not decode as TCF v2."""


def granted_purposes(tc_string: str) -> frozenset[int]:
    """The purposes the string grants consent to, in its core or its publisher segment."""
    try:
        decoded: Any = decode(tc_string)
    except Exception as error:  # the library raises bare Exceptions and bit-reader errors alike
        raise InvalidConsentString(f"not a TCF consent string: {error}") from None
    if getattr(decoded, "version", None) != 2:
        raise InvalidConsentString("only TCF v2 consent strings are read")
    granted = {purpose for purpose, given in decoded.purposes_consent.items() if given}
    publisher = getattr(decoded, "publisher_tc", None)
    if publisher is not None:
        granted |= {purpose for purpose, given in publisher.purposes_consent.items() if given}
    return frozenset(granted)


def targeting_consent(tc_string: str | None, gdpr_applies: bool | None) -> ConsentVerdict:
    """Targeting is allowed when a TCF v2 string grants purposes 1, 3 and 4, or when no
    string is sent and the request says GDPR does not apply. A request that says nothing
    about either gets no targeting: without a yes, the answer is no."""
    if tc_string:
        missing = tuple(p for p in PERSONALISED_ADS_PURPOSES if p not in granted_purposes(tc_string))
        if missing:
            return ConsentVerdict(False, ConsentReason.TCF_PURPOSE_MISSING, missing)
        return ConsentVerdict(True, ConsentReason.TCF_GRANTED)
    if gdpr_applies is False:
        return ConsentVerdict(True, ConsentReason.GDPR_NOT_APPLICABLE)
    return ConsentVerdict(False, ConsentReason.NO_CONSENT_STRING)


def decision_consent(flag: bool, tc_string: str | None) -> ConsentVerdict:
    """The decision API's `consent`: the flag, and the TCF string when one is sent (both
    must say yes then)."""
    if not flag:
        return ConsentVerdict(False, ConsentReason.FLAG_REFUSED)
    if tc_string:
        return targeting_consent(tc_string, True)
    return ConsentVerdict(True, ConsentReason.FLAG_GIVEN)
