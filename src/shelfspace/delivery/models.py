"""Delivery's own table: the slots the decision routes were asked for and filled.

The serving side writes it (delivery/opportunities.py); reports and pages read it
(reporting/inventory_stats.py, the console's overview, the wizard's reach), from above.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.db.base import Base


class PlacementRequests(Base):
    """Ad slots asked for and filled per placement and local hour: the fill rate's two sides.

    Written by delivery/opportunities.py from the decision route's in-memory counts, added
    to the row (several processes may write the same hour). Not in the event log: it is a
    statistic, not money, and a page view would otherwise cost a durable write.
    """

    __tablename__ = "placement_requests_hourly"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    placement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    requests: Mapped[int] = mapped_column(BigInteger, default=0)
    filled: Mapped[int] = mapped_column(BigInteger, default=0)
