"""What `shelfspace demo` builds its network from (a module of its own, light to import:
the command line declares its options before anything heavy is loaded)."""

from __future__ import annotations

from enum import StrEnum


class DemoData(StrEnum):
    SYNTHETIC = "synthetic"  # Freshmart's made-up shelf and shoppers (sim/demo_network.py)
    COMPLETE_JOURNEY = "complete-journey"  # dunnhumby's real baskets (sim/journey_demo.py; the demo-data extra)
