"""A clock the simulator moves: the server sees simulated time when it is given this one."""

from shelfspace.core.clock import SteppedClock

__all__ = ["SteppedClock"]
