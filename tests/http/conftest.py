"""Fixtures of the tests/http walks: `tenants`, two advertisers with their objects
(defined in tests/http/tenancy.py beside what the walks share)."""

from tests.http.tenancy import tenants

__all__ = ["tenants"]
