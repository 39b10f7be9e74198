"""The app's workers start in order and stop in the reverse, async stops awaited."""

from __future__ import annotations

import asyncio

from shelfspace.core.supervisor import Supervisor


class Named:
    def __init__(self, name: str, seen: list[str]) -> None:
        self.name, self.seen = name, seen

    def start(self) -> None:
        self.seen.append(f"start {self.name}")

    def stop(self) -> None:
        self.seen.append(f"stop {self.name}")


class AsyncStop(Named):
    async def stop(self) -> None:  # type: ignore[override]
        self.seen.append(f"stop {self.name}")


def test_workers_stop_in_reverse_and_absent_ones_are_skipped() -> None:
    seen: list[str] = []
    workers = Supervisor([Named("a", seen), None, Named("b", seen), AsyncStop("c", seen)])
    workers.start()
    asyncio.run(workers.stop())
    assert seen == ["start a", "start b", "start c", "stop c", "stop b", "stop a"]
