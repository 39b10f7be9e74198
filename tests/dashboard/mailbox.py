"""A real SMTP server on 127.0.0.1 (aiosmtpd) whose received messages a test can read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers import free_port
from tests.waiting import wait_for

LINK = re.compile(r"https?://\S+/signup/verify\?token=[A-Za-z0-9_.\-]+")


class Mailbox:
    """Every message the server accepted, parsed, in the order it came."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's handler hook
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def wait_for(self, count: int) -> EmailMessage:
        wait_for(lambda: len(self.messages) >= count, 10, f"{count} e-mail(s) received")
        return self.messages[count - 1]

    @staticmethod
    def body_of(message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def link_in(self, message: EmailMessage) -> str:
        """The verification link, as a path and query the test client can open."""
        found = LINK.search(self.body_of(message))
        assert found, f"no verification link in: {self.body_of(message)}"
        return "/signup/verify" + found.group(0).split("/signup/verify", 1)[1]

    def path_in(self, message: EmailMessage, prefix: str) -> str:
        """The first link of the message whose path starts with `prefix` (`/invite/`), as a
        path the test client can open."""
        found = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S*)", self.body_of(message))
        assert found, f"no link to {prefix} in: {self.body_of(message)}"
        return found.group(1)


@contextmanager
def running_mailbox() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    mailbox.port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
