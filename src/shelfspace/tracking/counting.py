"""What counts and what it costs: the rules that decide spend, in one pure module.

Click validity, the flood and plausibility rules, when a viewable or video event counts,
and what a counted event costs (`cost_of`) are defined here and nowhere else. The
recorder (`tracking/recorder.py`) judges each event as it arrives (what it charges in
real time) and the rollup (`reporting/rollup.py`) judges the day's events again in time
order (what reports and invoices say); both call this module, so they apply one rule.
Nothing here reads a clock, a file or a socket, or starts a thread: time comes in the
events, so the same events give the same answers anywhere. What one request alone decides
(a bot, a prefetch, a forged or expired link, a user agent no person's software sends) is
`tracking/ivt.py`'s, and final.

The caller chooses the user id of a decision, so no rule may rest on it alone: a click
also counts against the address it came from and against the device (the address and
user agent together), both kept as keyed pseudonyms in the event's data (`SOURCE`,
`DEVICE`), never as the address itself. Per user, per device and per address:
- a flood: more clicks in a short window than a person (or a household, an office
  behind one address: generous) makes;
- plausibility: an address, or a user id, that clicks far more of a placement's ads it was
  shown than people click them (`FloodRule.ctr_multiple` times the placement's expected rate, its format's prior
  in `decisioning/ctr.py`: a rate both the recorder and the rollup know the same way),
  after a few clicks of evidence: its clicks beyond that rate are invalid.
A viewable or video event counts only at or after a counted impression of its ad (a
video player fires its impression and `start` at once, so they may arrive in either
order: a video event may come `VIDEO_GRACE_SECONDS` before it; a viewable event comes a
second or more after the render by definition, so it gets no grace).

Realtime and rollup. Each process's recorder has its own `Judge`, which sees only the
events that process received, and is bounded in memory: its windows are pruned as time
passes (`Judge.prune`), and it tracks at most `max_keys` windows, forgetting the least
recently written when a new one comes (`Judge.evicted` counts them). The rollup judges all
the day's events from every process in time order with an unbounded `Judge`. So the two
agree for one process whose judge forgot nothing (tests/tracking/test_spend_rules_agree.py),
and may differ otherwise: a flood spread over several processes, or a window forgotten,
is counted (and charged) in real time and found by the rollup, and a rate one process
finds implausible on what it saw may be plausible on all. Where they differ the rollup
is the authority: reports and invoices are its rows, whichever process charged what; the
realtime charges only hold budgets meanwhile, and the rollup caps its spend by the same
budgets. An ad's clicks are judged in time order until one counts, so the log keeps
every click that may yet count, whatever the realtime verdict: an ad's first click under
its verdict's key, each later one under the next repeat key (`judged_click_keys`), up to
`CLICKS_KEPT_PER_AD` in all. A later click after a counted one is stored as a repeat
(`InvalidReason.REPEAT_CLICK`: counted and charged once in real time) and judged again by
the rollup, which counts it if the rollup refused the earlier one. More clicks of one ad
than that are a resend storm, not a person, and are dropped; the rules judge only the
first `CLICKS_KEPT_PER_AD` of an ad's clicks, so what the log holds is what they judge.
One race remains: two processes storing a click of the same ad at the same instant may
take the same repeat key, and the log keeps one of the two.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

from shelfspace.core.buying import Pricing, unit_cost_micros
from shelfspace.decisioning.ctr import DEFAULT_PRIOR_CTR, prior_ctr
from shelfspace.events.model import Event, EventType, InvalidReason, ad_event_key

SOURCE = "from"  # Event.data: the keyed pseudonym of the request's address
DEVICE = "device"  # Event.data: the keyed pseudonym of its address and user agent together

# Decided by the request alone, once and for all when it arrived.
FINAL_REASONS = frozenset(
    {
        InvalidReason.BOT,
        InvalidReason.PREFETCH,
        InvalidReason.BAD_SIGNATURE,
        InvalidReason.EXPIRED,
        InvalidReason.NO_USER_AGENT,
        InvalidReason.NOT_A_BROWSER,
    }
)
# A click's reasons that depend on other events: the rollup judges such a click again.
JUDGED_CLICK_REASONS = (
    InvalidReason.CLICK_WITHOUT_IMPRESSION,
    InvalidReason.CLICK_FLOOD,
    InvalidReason.ADDRESS_FLOOD,
    InvalidReason.IMPLAUSIBLE_CTR,
)
# An ad's clicks the log keeps (its first, then repeats), and so the most the rules judge.
CLICKS_KEPT_PER_AD = 5
# Events that count only after a counted impression of their ad.
FOLLOWS_IMPRESSION = frozenset({EventType.VIEWABLE, EventType.VIDEO})
VIDEO_GRACE_SECONDS = 2.0
# The one event each pricing model pays for: a CPM ad its counted impression, a CPC ad its counted click.
BILLED_EVENT = {Pricing.CPM: EventType.IMPRESSION, Pricing.CPC: EventType.CLICK}

# Window keys, by what they count.
_USER, _AD, _DEVICE, _ADDRESS, _ANSWERS = "user:", "ad:", "device:", "address:", "answers:"
_PLACED, _SEEN = "placed:", "seen:"  # an address's clicks and impressions on one placement
_BUCKET_SECONDS = 60.0  # an address's impressions are counted by the minute: the windows stay small
MIN_KEYS = 16  # a click writes at most 5 windows (user, device, address, and two subjects' placement)


@dataclass(frozen=True, slots=True)
class FloodRule:
    """Limits on counted clicks, each within `seconds`: `max_clicks` per user id (the
    caller's, so never the only one), `max_device_clicks` per address and user agent,
    `max_address_clicks` per address (people share addresses, so it is generous). Within
    `plausible_seconds`, an address's (and a user id's) clicks beyond `plausible_clicks`
    count only while they stay at or below `ctr_multiple` times the placement's expected
    rate of its counted impressions there. Survey answers: more than
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
    return (
        "not counted, and reported as invalid: declared bots and crawlers (crawler-user-agents list), requests "
        "with no user agent or one no browser or app sends, prefetch and preview requests, forged or altered "
        "URLs (counted in the metric shelfspace_tracking_refused_total, not stored), expired URLs; clicks "
        f"without a counted impression before them, more than {rule.max_clicks} clicks from one user, "
        f"{rule.max_device_clicks} from one device (address and user agent) or {rule.max_address_clicks} from "
        f"one network address in {window}, and an address's or a user's clicks on a placement beyond {rule.ctr_multiple:g} "
        f"times its expected click rate (after {rule.plausible_clicks} clicks in {rule.plausible_seconds / 3600:g} "
        "h); viewable and video events without a counted impression of their ad; an ad counts one click at most, "
        f"the first of its first {CLICKS_KEPT_PER_AD} clicks that meets these rules; an event sent again is counted "
        "once (their number is the metric shelfspace_events_duplicate_total)"
    )


def source_data(address: str | None, user_agent: str, pseudonym: Callable[[str], str]) -> dict[str, str]:
    """The event data that lets the rules key on where a request came from: pseudonyms of
    the address and of the address with the user agent (a device), never the address."""
    if not address:
        return {}
    return {SOURCE: pseudonym(address), DEVICE: pseudonym(f"{address}\n{user_agent}")}


def cost_of(event: Event) -> int:
    """What a counted event costs its campaign before any budget caps it: a CPM ad's
    impression one thousandth of its price, a CPC ad's click its price (`core/buying.py`
    unit_cost_micros, what the engine reserved when it served the ad); anything else
    nothing. The recorder charges it, the rollup reports it."""
    ad = event.ad
    if ad is None or not event.counted:
        return 0
    for pricing, billed in BILLED_EVENT.items():
        if ad.pricing == pricing and event.type is billed:
            return unit_cost_micros(pricing, ad.price_micros)
    return 0


def expected_ctr_of(format_of: Callable[[str], str | None]) -> Callable[[str], float]:
    """Placement id → its expected click rate (its format's prior), from a placement's format."""
    return lambda placement_id: prior_ctr(format_of(placement_id) or "")


def repeat_click_key(ad_id: str, n: int) -> str:
    """The key of an ad's `n`th kept click (n from 2): whatever its verdict, one key per
    try, so a later click never collides with the first's key and is lost."""
    return f"{ad_event_key(EventType.CLICK, ad_id)}#{n}"


def judged_click_keys(ad_id: str) -> list[str]:
    """Every key an ad's judged clicks may be stored under: the first click's (the valid
    key, or one of the judged reasons'), then the repeats' in order."""
    first = [ad_event_key(EventType.CLICK, ad_id, reason) for reason in (None, *JUDGED_CLICK_REASONS)]
    return first + [repeat_click_key(ad_id, n) for n in range(2, CLICKS_KEPT_PER_AD + 1)]


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
    to judge (a counted one joins the windows).

    `max_keys`: at most this many windows are kept; a new one then forgets the window
    written to least recently (the realtime judge's memory bound; None, the rollup's: a
    day's windows, pruned by time only). Each window is bounded by its rule already."""

    def __init__(
        self,
        rule: FloodRule,
        windows: Mapping[str, Sequence[float]] | None = None,
        expected_ctr: Callable[[str], float] = lambda placement_id: DEFAULT_PRIOR_CTR,
        max_keys: int | None = None,
    ) -> None:
        if max_keys is not None and max_keys < MIN_KEYS:
            raise ValueError(f"max_keys below {MIN_KEYS}: one click writes up to 5 windows at once")
        self.rule = rule
        self.expected_ctr = expected_ctr  # placement id → the rate people click it at
        # In the order they were last written to: the first is the one to forget.
        self.windows: dict[str, deque[float]] = {k: deque(v) for k, v in (windows or {}).items()}
        self.max_keys = max_keys
        self.evicted = 0  # windows forgotten for room, not by time

    def _horizon(self, key: str) -> float:
        if key.startswith((_PLACED, _SEEN)):
            return self.rule.plausible_seconds
        if key.startswith(_ANSWERS):
            return self.rule.answer_seconds
        return self.rule.seconds

    def _written(self, key: str) -> deque[float]:
        """The key's window, about to be written to: moved to the end of the order (made
        if new, forgetting the least recently written window if there is no room). With
        no bound, the order does not matter and is left alone."""
        if self.max_keys is None:
            return self.windows.setdefault(key, deque())
        window = self.windows.pop(key, None)
        if window is None:
            window = deque()
            if len(self.windows) >= self.max_keys:
                del self.windows[next(iter(self.windows))]
                self.evicted += 1
        self.windows[key] = window
        return window

    def _recent(self, key: str, now: float) -> deque[float]:
        """The key's window with what is older than its horizon dropped (empty if none)."""
        window = self.windows.get(key)
        if window is None:
            return deque()
        _drop_before(key, window, now - self._horizon(key))
        return window

    def impression(self, event: Event) -> None:
        """A counted impression: its address and its user saw one more of the placement's ads."""
        if event.ad is None:
            return
        minute = event.time - event.time % _BUCKET_SECONDS
        for subject in _subjects(event):
            key = f"{_SEEN}{subject}|{event.ad.placement_id}"
            window = self._written(key)
            _drop_before(key, window, event.time - self._horizon(key))
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
        ceiling = rule.ctr_multiple * self.expected_ctr(placement)
        for subject in _subjects(click):
            keys.append(f"{_PLACED}{subject}|{placement}")
            clicks = len(self._recent(keys[-1], now))
            if clicks >= rule.plausible_clicks and clicks + 1 > ceiling * self.seen(subject, placement, now):
                return InvalidReason.IMPLAUSIBLE_CTR
        for key in keys:
            self._written(key).append(now)
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
        self._written(key).append(answer.time)
        return False

    def seen(self, subject: str, placement_id: str, now: float) -> float:
        """The subject's (an address pseudonym, or `_subjects`' user key) counted impressions
        of the placement within the plausibility window."""
        window = self._recent(f"{_SEEN}{subject}|{placement_id}", now)
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
        for key in [
            k
            for k, w in self.windows.items()
            if not w or now - w[-1 if not k.startswith(_SEEN) else -2] > self._horizon(k)
        ]:
            del self.windows[key]


def _subjects(event: Event) -> list[str]:
    """Whom the plausibility rule watches for this event: its address (a pseudonym) and its
    user id (prefixed, so it can never meet an address's key)."""
    subjects = []
    if address := (event.data or {}).get(SOURCE):
        subjects.append(address)
    if event.user_id:
        subjects.append("user " + event.user_id)
    return subjects


def _drop_before(key: str, window: deque[float], horizon: float) -> None:
    if key.startswith(_SEEN):  # (minute, count) pairs: a minute goes when all of it is before the horizon
        while len(window) >= 2 and window[0] + _BUCKET_SECONDS <= horizon:
            window.popleft()
            window.popleft()
        return
    while window and window[0] < horizon:
        window.popleft()
