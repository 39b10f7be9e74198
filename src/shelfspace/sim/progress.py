"""The demo's progress bar while it replays history: a week takes most of a minute, so the
person who typed `shelfspace demo` sees how far it is and what it has sent so far."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from shelfspace.sim.traffic import Outcome, Tally


@contextmanager
def replay_progress(console: Console, description: str) -> Iterator[Callable[[float, Tally], None]]:
    """A bar for the block; the callback takes the share of simulated time done and the tally."""
    # Fits in 80 columns with a week's numbers, so nothing is cut off in a default terminal.
    columns = (
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[sent]}"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=1.0, sent="")

        def update(done: float, tally: Tally) -> None:
            sent = f"{tally.counts[Outcome.DECISIONS]:,} decisions, {tally.counts[Outcome.ERRORS]:,} errors"
            progress.update(task, completed=done, sent=sent)

        yield update
