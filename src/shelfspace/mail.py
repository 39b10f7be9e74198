"""Sending e-mail: one message at a time over SMTP, with the standard library only.

Shelfspace sends little mail (a brand's verification link), so there is no queue: the
caller is already off the event loop (a plain `def` page runs in the thread pool, or
`send_in_thread` from async code) and a failure is the caller's to report. Without an
SMTP host the message is written to the server log instead, so a demo or a first install
works with no mail server: the operator copies the link from the log.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from enum import StrEnum

import structlog
from starlette.concurrency import run_in_threadpool

from shelfspace.config import Settings
from shelfspace.config import SmtpSecurity as SmtpSecurity  # a setting's values, defined with the settings

log = structlog.get_logger(__name__)

SMTP_TIMEOUT_SECONDS = 15.0


class Delivery(StrEnum):
    """What became of a message."""

    SENT = "sent"
    LOGGED = "logged"  # no SMTP host configured: written to the server log


class MailNotSent(Exception):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True, slots=True)
class Mail:
    """A plain-text message to one person."""

    to: str
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Mailer:
    """The network's outgoing mail, built from the settings (nothing kept between messages)."""

    settings: Settings

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = f"{self.settings.network_name} <{self.settings.mail_from}>"
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.settings.mail_from.rsplit("@", 1)[1])
        message.set_content(mail.body)
        return message

    def send(self, mail: Mail) -> Delivery:
        """Blocking: call it from a thread (a plain `def` route is one)."""
        settings = self.settings
        if settings.smtp_host is None:
            log.warning("mail_not_sent_no_smtp_host", to=mail.to, subject=mail.subject, body=mail.body)
            return Delivery.LOGGED
        message = self.message(mail)
        try:
            with self._connect(settings) as smtp:
                if settings.smtp_username is not None:
                    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                    smtp.login(settings.smtp_username, password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("mail_not_sent", to=mail.to, subject=mail.subject, host=settings.smtp_host, error=str(exc))
            raise MailNotSent(str(exc)) from exc
        log.info("mail_sent", to=mail.to, subject=mail.subject)
        return Delivery.SENT

    async def send_in_thread(self, mail: Mail) -> Delivery:
        """For async callers: the SMTP conversation never runs on the event loop."""
        return await run_in_threadpool(self.send, mail)

    @staticmethod
    def _connect(settings: Settings) -> smtplib.SMTP:
        assert settings.smtp_host is not None
        host, port = settings.smtp_host, settings.smtp_port
        if settings.smtp_security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context())
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if settings.smtp_security is SmtpSecurity.STARTTLS:
                smtp.starttls(context=ssl.create_default_context())  # SMTPNotSupportedError if not offered
        except BaseException:
            smtp.close()
            raise
        return smtp
