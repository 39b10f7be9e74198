"""Closed-loop measurement: connecting the ads people saw and clicked to what they then bought."""
