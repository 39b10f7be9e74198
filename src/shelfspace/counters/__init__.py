"""Real-time state of delivery (spend, reservations, pacing, frequency, CTR) behind
one protocol: in-process for the embedded default, Redis when several processes serve."""
