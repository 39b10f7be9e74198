"""Audience segments from first-party events: rules, membership, sizes, offsite exports."""
