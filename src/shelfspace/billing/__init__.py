"""Billing: advertisers' wallets and credit lines, the ledger, payments and invoices."""
