"""Raw events archived as Parquet, one file per day, for replays and audits.

`events-YYYY-MM-DD.parquet` holds every stored event of that day of the network's time
zone (valid or not, with its reason and charge), sorted by time then key, so archiving a
day again writes the same rows. A file is written beside its final name and renamed, so
a reader never sees half of one. Any Parquet reader (pandas, DuckDB, Spark) opens them;
`read_day` turns one back into events, for a replay into a new log.
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shelfspace.core.days import day_bounds
from shelfspace.events.log import EventLog
from shelfspace.events.model import Event, EventType
from shelfspace.events.rows import COLUMNS, from_row, to_row

SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("type", pa.string()),
        ("time", pa.float64()),
        ("user_id", pa.string()),
        ("invalid", pa.string()),
        ("charged_micros", pa.int64()),
        ("ad_id", pa.string()),
        ("placement_id", pa.string()),
        ("advertiser_id", pa.string()),
        ("campaign_id", pa.string()),
        ("line_item_id", pa.string()),
        ("creative_id", pa.string()),
        ("sku", pa.string()),
        ("pricing", pa.string()),
        ("price_micros", pa.int64()),
        ("served_at", pa.int64()),
        ("budget_day", pa.string()),
        ("data", pa.string()),
    ]
)


def archive_path(directory: Path, day: str) -> Path:
    return directory / f"events-{day}.parquet"


def archive_day(event_log: EventLog, day: str, tz: ZoneInfo, directory: Path) -> tuple[Path, int]:
    """Write the day's events to their file (again, if it exists); returns it and the count."""
    events = event_log.between(*day_bounds(day, tz))  # in time order, then by key
    directory.mkdir(parents=True, exist_ok=True)
    final = archive_path(directory, day)
    partial = final.with_suffix(f".{os.getpid()}.partial")
    pq.write_table(
        pa.Table.from_pylist([dict(zip(COLUMNS, to_row(e), strict=True)) for e in events], schema=SCHEMA),
        partial,
        compression="zstd",
    )
    os.replace(partial, final)
    return final, len(events)


def read_day(path: Path) -> list[Event]:
    """The events of an archived day, as they were stored."""
    return [from_row(row) for row in pq.read_table(path, schema=SCHEMA).to_pylist()]


def forget_in_archive(directory: Path, user_id: str, kind: EventType) -> int:
    """A data subject's erasure reaches the archive too: every day file holding the user's
    events of this kind is written again without them (beside its name, then renamed).
    Returns how many events went. Erasures are rare; each reads the whole archive."""
    if not directory.is_dir():
        return 0
    removed = 0
    for path in sorted(directory.glob("events-*.parquet")):
        table = pq.read_table(path, schema=SCHEMA)
        theirs = pc.and_(pc.equal(table["user_id"], user_id), pc.equal(table["type"], str(kind)))
        count = pc.sum(pc.cast(pc.fill_null(theirs, False), pa.int64())).as_py() or 0
        if not count:
            continue
        partial = path.with_suffix(f".{os.getpid()}.partial")
        pq.write_table(table.filter(pc.invert(pc.fill_null(theirs, False))), partial, compression="zstd")
        os.replace(partial, path)
        removed += count
    return removed
