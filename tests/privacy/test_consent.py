"""TCF v2 strings decoded by the maintained `iab-tcf` library: purposes 1, 3 and 4 decide."""

from __future__ import annotations

import pytest

from shelfspace.privacy.consent import (
    ConsentReason,
    InvalidConsentString,
    decision_consent,
    granted_purposes,
    targeting_consent,
)
from tests.privacy.tcf_strings import tc_string


def test_a_string_that_grants_one_three_and_four_allows_targeting() -> None:
    verdict = targeting_consent(tc_string({1, 2, 3, 4, 7}), gdpr_applies=True)
    assert verdict.allowed and verdict.reason is ConsentReason.TCF_GRANTED
    assert granted_purposes(tc_string({1, 3, 4})) == {1, 3, 4}


@pytest.mark.parametrize("purposes, missing", [({1, 4}, (3,)), ({3, 4}, (1,)), (set(), (1, 3, 4))])
def test_a_missing_purpose_refuses_and_is_named(purposes: set[int], missing: tuple[int, ...]) -> None:
    verdict = targeting_consent(tc_string(purposes), gdpr_applies=True)
    assert not verdict.allowed
    assert verdict.reason is ConsentReason.TCF_PURPOSE_MISSING and verdict.missing_purposes == missing


def test_without_a_string_only_a_request_outside_gdpr_is_targeted() -> None:
    assert targeting_consent(None, gdpr_applies=False).allowed
    assert not targeting_consent(None, gdpr_applies=True).allowed
    assert targeting_consent(None, gdpr_applies=None).reason is ConsentReason.NO_CONSENT_STRING


def test_the_decision_flag_and_the_string_must_both_say_yes() -> None:
    assert decision_consent(True, None).allowed
    assert not decision_consent(False, tc_string({1, 3, 4})).allowed
    assert not decision_consent(True, tc_string({1})).allowed
    assert decision_consent(True, tc_string({1, 3, 4})).allowed


@pytest.mark.parametrize("garbage", ["not-a-consent-string", "AAAA", "%%%"])
def test_garbage_is_an_invalid_string(garbage: str) -> None:
    with pytest.raises(InvalidConsentString):
        targeting_consent(garbage, gdpr_applies=True)
