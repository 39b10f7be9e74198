"""The browser of tests/browser (Debian's Chromium, loopback only) for the Prebid.js test."""

from tests.browser.conftest import page_and_outside  # noqa: F401  (a fixture, used by name)
