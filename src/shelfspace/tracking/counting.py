"""What counts: the rules that judge an ad event by the events before it.

The recorder judges each event as it arrives (what it charges in real time) and the
rollup judges the day's events again in time order (what reports and invoices say); both
call this module, so they apply one rule. What one request alone decides (a bot, a
prefetch, a forged or expired link, a user agent no person's software sends) is
`tracking/ivt.py`'s, and final.

The caller chooses the user id of a decision, so no rule may rest on it alone: a click
also counts against the address it came from and against the device (the address and
user agent together), both kept as keyed pseudonyms in the event's data (`SOURCE`,
`DEVICE`), never as the address itself. Per user, per device and per address:
- a flood: more clicks in a short window than a person (or a household, an office
  behind one address: generous) makes;
- plausibility: an address that clicks far more of a placement's ads it was shown than
  people click them (`FloodRule.ctr_multiple` times the placement's expected rate, its format's prior
  in `decisioning/ctr.py`: a rate both the recorder and the rollup know the same way),
  after a few clicks of evidence: its clicks beyond that rate are invalid.
A viewable or video event counts only at or after a counted impression of its ad (a
video player fires its impression and `start` at once, so they may arrive in either
order: a video event may come `VIDEO_GRACE_SECONDS` before it; a viewable event comes a
second or more after the render by definition, so it gets no grace).

The windows are pruned as time passes (`Judge.prune`, `Judge.after`), so their size is
the traffic of the last window, not of the process's life.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

from shelfspace.decisioning.ctr import DEFAULT_PRIOR_CTR, prior_ctr
from shelfspace.events.model import Event, EventType, InvalidReason

SOURCE = "from"  # Event.data: the keyed pseudonym of the request's address
DEVICE = "device"  # Event.data: the keyed pseudonym of its address and user agent together

# Decided by the request alone, once and for all when it arrived.
FINAL_REASONS = frozenset({InvalidReason.BOT, InvalidReason.PREFETCH, InvalidReason.BAD_SIGNATURE,
                           InvalidReason.EXPIRED, InvalidReason.NO_USER_AGENT, InvalidReason.NOT_A_BROWSER})
# A click's reasons that depend on other events: the rollup judges such a click again.
JUDGED_CLICK_REASONS = (InvalidReason.CLICK_WITHOUT_IMPRESSION, InvalidReason.CLICK_FLOOD,
                        InvalidReason.ADDRESS_FLOOD, InvalidReason.IMPLAUSIBLE_CTR)
# Events that count only after a counted impression of their ad.
FOLLOWS_IMPRESSION = frozenset({EventType.VIEWABLE, EventType.VIDEO})
VIDEO_GRACE_SECONDS = 2.0

# Window keys, by what they count.
_USER, _AD, _DEVICE, _ADDRESS, _ANSWERS = "user:", "ad:", "device:", "address:", "answers:"
_PLACED, _SEEN = "placed:", "seen:"  # an address's clicks and impressions on one placement
_BUCKET_SECONDS = 60.0  # an address's impressions are counted by the minute: the windows stay small


@dataclass(frozen=True, slots=True)
class FloodRule:
    """Limits on counted clicks, each within `seconds`: `max_clicks` per user id (the
    caller's, so never the only one), `max_device_clicks` per address and user agent,
    `max_address_clicks` per address (people share addresses, so it is generous). Within
    `plausible_seconds`, an address's clicks beyond `plausible_clicks` count only while
    they stay at or below `ctr_multiple` times the placement's expected rate of the
    address's counted impressions. Survey answers: more than
    `max_answers` from one address within `answer_seconds` are a flood."""

    max_clicks: int = 5
    seconds: float = 60.0
    max_device_clicks: int = 5
    max_address_clicks: int = 30
    ctr_multiple: float = 5.0
    plausible_clicks: int = 3
    plausible_seconds: float = 3600.0
    max_answers: int = 20
    answer_seconds: float = 3600.0


DEFAULT_FLOOD = FloodRule()


def invalid_traffic_rules(rule: FloodRule = DEFAULT_FLOOD) -> str:
    """The rules in words, as reports disclose them: written from the limits themselves,
    so the disclosure cannot drift from what is counted."""
    window = f"{rule.seconds:g} s"
    return ("not counted, and reported as invalid: declared bots and crawlers (crawler-user-agents list), requests "
            "with no user agent or one no browser or app sends, prefetch and preview requests, forged or altered "
            "URLs (counted in the metric shelfspace_tracking_refused_total, not stored), expired URLs; clicks "
            f"without a counted impression before them, more than {rule.max_clicks} clicks from one user, "
            f"{rule.max_device_clicks} from one device (address and user agent) or {rule.max_address_clicks} from "
            f"one network address in {window}, and an address's clicks on a placement beyond {rule.ctr_multiple:g} "
            f"times its expected click rate (after {rule.plausible_clicks} clicks in {rule.plausible_seconds / 3600:g} "
            "h); viewable and video events without a counted impression of their ad; an event sent again is counted "
            "once (their number is the metric shelfspace_events_duplicate_total)")


def source_data(address: str | None, user_agent: str, pseudonym: Callable[[str], str]) -> dict[str, str]:
    """The event data that lets the rules key on where a request came from: pseudonyms of
    the address and of the address with the user agent (a device), never the address."""
    if not address:
        return {}
    return {SOURCE: pseudonym(address), DEVICE: pseudonym(f"{address}\n{user_agent}")}


def expected_ctr_of(format_of: Callable[[str], str | None]) -> Callable[[str], float]:
    """Placement id → its expected click rate (its format's prior), from a placement's format."""
    return lambda placement_id: prior_ctr(format_of(placement_id) or "")


def follows_impression(event: Event, impression_time: float | None) -> bool:
    """Whether a viewable or video event came at or after a counted impression of its ad
    (a video event: or with it, within the grace)."""
    grace = VIDEO_GRACE_SECONDS if event.type is EventType.VIDEO else 0.0
    return impression_time is not None and impression_time <= event.time + grace


def needs_impression(event: Event) -> bool:
    return event.type in FOLLOWS_IMPRESSION and event.ad is not None and event.invalid not in FINAL_REASONS


class Judge:
    """The windows of recent counted clicks (per user, device and address) and of an
    address's counted impressions (by the minute), and the click rule over them. Feed it
    events in time order: `impression` for each counted impression, `click` for each click
    to judge (a counted one joins the windows)."""

    def __init__(self, rule: FloodRule, windows: Mapping[str, Sequence[float]] | None = None,
                 expected_ctr: Callable[[str], float] = lambda placement_id: DEFAULT_PRIOR_CTR) -> None:
        self.rule = rule
        self.expected_ctr = expected_ctr  # placement id → the rate people click it at
        self.windows: dict[str, deque[float]] = {k: deque(v) for k, v in (windows or {}).items()}

    def _horizon(self, key: str) -> float:
        if key.startswith((_PLACED, _SEEN)):
            return self.rule.plausible_seconds
        if key.startswith(_ANSWERS):
            return self.rule.answer_seconds
        return self.rule.seconds

    def _recent(self, key: str, now: float) -> deque[float]:
        """The key's window with what is older than its horizon dropped (empty if none)."""
        window = self.windows.get(key)
        if window is None:
            return deque()
        _drop_before(key, window, now - self._horizon(key))
        return window

    def impression(self, event: Event) -> None:
        """A counted impression: its address saw one more of the placement's ads."""
        address = (event.data or {}).get(SOURCE)
        if not address or event.ad is None:
            return
        key = f"{_SEEN}{address}|{event.ad.placement_id}"
        window = self.windows.setdefault(key, deque())
        _drop_before(key, window, event.time - self._horizon(key))
        minute = event.time - event.time % _BUCKET_SECONDS
        if window and window[-2] == minute:
            window[-1] += 1
        else:
            window.extend((minute, 1.0))

    def click(self, click: Event, impression_time: float | None) -> InvalidReason | None:
        """Why this click does not count, or None (and then it joins the windows).
        `impression_time`: when its ad's counted impression happened, if it did."""
        assert click.ad is not None
        if impression_time is None or impression_time > click.time:
            return InvalidReason.CLICK_WITHOUT_IMPRESSION
        now, rule, data = click.time, self.rule, click.data or {}
        user_key = _USER + click.user_id if click.user_id else _AD + click.ad.ad_id
        if len(self._recent(user_key, now)) >= rule.max_clicks:
            return InvalidReason.CLICK_FLOOD
        keys = [user_key]
        if device := data.get(DEVICE):
            keys.append(_DEVICE + device)
            if len(self._recent(keys[-1], now)) >= rule.max_device_clicks:
                return InvalidReason.ADDRESS_FLOOD
        if address := data.get(SOURCE):
            keys.append(_ADDRESS + address)
            if len(self._recent(keys[-1], now)) >= rule.max_address_clicks:
                return InvalidReason.ADDRESS_FLOOD
            placement = click.ad.placement_id
            keys.append(f"{_PLACED}{address}|{placement}")
            clicks = len(self._recent(keys[-1], now))
            ceiling = rule.ctr_multiple * self.expected_ctr(placement)
            if clicks >= rule.plausible_clicks and clicks + 1 > ceiling * self.seen(address, placement, now):
                return InvalidReason.IMPLAUSIBLE_CTR
        for key in keys:
            self.windows.setdefault(key, deque()).append(now)
        return None

    def answer_flooded(self, answer: Event) -> bool:
        """Whether this survey answer is one too many from its address (a counted one joins
        the window)."""
        source = (answer.data or {}).get(SOURCE)
        if not source:
            return False
        key = _ANSWERS + source
        window = self._recent(key, answer.time)
        if len(window) >= self.rule.max_answers:
            return True
        self.windows.setdefault(key, window).append(answer.time)
        return False

    def seen(self, address: str, placement_id: str, now: float) -> float:
        """The address's counted impressions of the placement within the plausibility window."""
        window = self._recent(f"{_SEEN}{address}|{placement_id}", now)
        return sum(islice(window, 1, None, 2))

    def after(self, moment: float) -> dict[str, list[float]]:
        """The windows as any event at or after `moment` can see them (for a checkpoint)."""
        kept: dict[str, list[float]] = {}
        for key, window in self.windows.items():
            copy = deque(window)
            _drop_before(key, copy, moment - self._horizon(key))
            if copy:
                kept[key] = list(copy)
        return kept

    def prune(self, now: float) -> None:
        """Forget the windows with nothing left inside their horizon."""
        for key in [k for k, w in self.windows.items() if not w or now - w[-1 if not k.startswith(_SEEN) else -2]
                    > self._horizon(k)]:
            del self.windows[key]


def _drop_before(key: str, window: deque[float], horizon: float) -> None:
    if key.startswith(_SEEN):  # (minute, count) pairs: a minute goes when all of it is before the horizon
        while len(window) >= 2 and window[0] + _BUCKET_SECONDS <= horizon:
            window.popleft()
            window.popleft()
        return
    while window and window[0] < horizon:
        window.popleft()

