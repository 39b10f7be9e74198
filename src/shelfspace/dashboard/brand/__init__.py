"""Advertiser self-serve: sign-up, campaigns, the campaign wizard and campaign reports."""
