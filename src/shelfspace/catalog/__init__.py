"""The network's catalogue: placements, advertisers, campaigns, line items, creatives, products."""
