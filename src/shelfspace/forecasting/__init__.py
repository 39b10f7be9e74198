"""Forecasting: what a proposed line item would buy, by replaying sampled requests."""
