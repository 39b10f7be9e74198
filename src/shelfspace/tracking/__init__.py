"""Tracking: signed event URLs, their endpoints, invalid-traffic rules, spend from events."""
