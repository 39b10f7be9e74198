"""The event log: every tracking event, conversion and behaviour event, appended once."""
