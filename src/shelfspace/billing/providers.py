"""Payment providers: where money comes from (top-ups, invoice payments) and goes back to
(refunds). The ledger never knows which provider moved money, only that it moved; a card
provider would confirm a payment from its webhook and hand the same `Receipt` over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from shelfspace.core.errors import InvalidInput


class ProviderName(StrEnum):
    MANUAL = "manual"  # a bank transfer the operator saw arrive (or sent), recorded by hand


@dataclass(frozen=True, slots=True)
class Transfer:
    """Money to record: how much, the provider's or the bank's reference, when."""

    amount_micros: int
    reference: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Receipt:
    """Money the provider confirms has moved, as the ledger records it."""

    provider: ProviderName
    amount_micros: int
    reference: str
    at: datetime


class PaymentProvider(Protocol):
    name: ProviderName

    def receive(self, transfer: Transfer) -> Receipt:
        """Confirm money received from an advertiser; raises InvalidInput if it is not."""
        ...

    def pay_out(self, transfer: Transfer) -> Receipt:
        """Send money back to an advertiser (a refund); raises InvalidInput if it cannot."""
        ...


class ManualBankTransfer:
    """The operator records a transfer it saw on its bank statement: the reference is the
    statement's, so the books can be matched to the bank line by line."""

    name = ProviderName.MANUAL

    def _confirm(self, transfer: Transfer) -> Receipt:
        if not transfer.reference.strip():
            raise InvalidInput.on("reference", "a bank transfer needs the reference on the bank statement")
        return Receipt(self.name, transfer.amount_micros, transfer.reference.strip(), transfer.at)

    def receive(self, transfer: Transfer) -> Receipt:
        return self._confirm(transfer)

    def pay_out(self, transfer: Transfer) -> Receipt:
        return self._confirm(transfer)


PROVIDERS: dict[ProviderName, PaymentProvider] = {ProviderName.MANUAL: ManualBankTransfer()}


def provider(name: ProviderName) -> PaymentProvider:
    return PROVIDERS[name]
