"""Shelfspace: an open-source media network in a box."""

__version__ = "0.1.0"
