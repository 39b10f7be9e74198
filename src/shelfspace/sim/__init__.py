"""The demo network and, in later issues, the traffic simulator that runs through it."""
