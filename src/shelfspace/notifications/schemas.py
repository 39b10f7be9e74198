"""The notifications' response bodies (GET /v1/notifications, POST /v1/notifications/{id}/read)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shelfspace.notifications.kinds import NoticeKind


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    advertiser_id: str
    user_id: str | None = Field(description="The one person of the brand it is for; null: all of them.")
    kind: NoticeKind
    subject_type: str = Field(description="What it is about: creative, campaign or advertiser.")
    subject_id: str
    title: str
    message: str = Field(description="What happened and what to do, in plain words.")
    link: str = Field(description="The brand's page to act on it (a path of the dashboard).")
    created_at: datetime
    read_at: datetime | None = Field(description="When one of the brand's people (or a key) marked it read.")


class NotificationPage(BaseModel):
    data: list[NotificationOut]
    has_more: bool
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next (older) page.")
