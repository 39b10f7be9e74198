"""`shelfspace invoices`: the monthly billing run an operator puts in cron."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine

from shelfspace.billing import ledger
from shelfspace.billing.models import EntryKind
from shelfspace.catalog.models import Advertiser
from shelfspace.db.session import make_sessionmaker, session_scope
from tests.servers import base_env, shelfspace


def test_the_monthly_run_issues_once_and_refuses_a_month_not_ended(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", SHELFSPACE_INVOICE_PREFIX="FM")
    assert shelfspace("migrate", env=env).returncode == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'shelfspace.db'}")
    with session_scope(make_sessionmaker(engine)) as db:
        db.add(Advertiser(id="adv-1", name="Bolt Coffee", domain="bolt.example"))
        db.flush()
        ledger.post(
            db,
            advertiser_id="adv-1",
            kind=EntryKind.CHARGE,
            amount_micros=-12_345_678,
            day=date(2026, 5, 14),
            time=datetime(2026, 5, 15, tzinfo=UTC),
            actor="test",
            campaign_id="c-1",
        )
    engine.dispose()

    first = shelfspace("invoices", "--month", "2026-05", env=env)
    assert first.returncode == 0, first.stderr
    assert "FM-000001  invoice  Bolt Coffee" in first.stderr and "12.35 USD" in first.stderr
    assert "1 documents issued for 2026-05" in first.stderr
    again = shelfspace("invoices", "--month", "2026-05", env=env)
    assert again.returncode == 0 and "0 documents issued for 2026-05" in again.stderr

    this_month = datetime.now(UTC).strftime("%Y-%m")
    refused = shelfspace("invoices", "--month", this_month, env=env)
    assert refused.returncode == 2 and "has not ended" in refused.stderr
    bad = shelfspace("invoices", "--month", "2026-13", env=env)
    assert bad.returncode == 2 and "not a month like" in bad.stderr
