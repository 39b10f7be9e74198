"""The `demand_partners` table: OpenRTB bidders the operator lets bid on unsold slots."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shelfspace.catalog.enums import DeliveryStatus
from shelfspace.db.base import Base, Timestamps

DEFAULT_TIMEOUT_MS = 150


class DemandPartner(Timestamps, Base):
    """One bidder. `placements` empty means every placement; the floor a slot is offered
    at is the larger of `floor_cpm_micros` and the placement's own floor."""

    __tablename__ = "demand_partners"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(2048))
    timeout_ms: Mapped[int] = mapped_column(Integer, default=DEFAULT_TIMEOUT_MS)
    floor_cpm_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    placements: Mapped[list[str]] = mapped_column(default=list)
    # Where its win and billing notices may go (a host or any name under it); empty: the
    # endpoint's host. A bid's nurl/burl elsewhere is never called (demand/notices.py).
    notice_domains: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.LIVE)
