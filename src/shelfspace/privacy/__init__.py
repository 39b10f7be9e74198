"""Privacy: consent to use a person's data for targeting, and forgetting a person."""
