"""Day-parts on the brand's forms: rows of weekdays and hours, read into the API's `Daypart`.

Each row is `daypart_days_<n>` (checkboxes mon…sun), `daypart_start_<n>` and
`daypart_end_<n>` (HH:MM, the network's time zone). A row left blank is ignored; a row half
filled is refused beside it (`daypart_<n>`). A time field cannot say 24:00, so an end of
00:00 after a later start means midnight, and the API's 24:00 shows as 00:00. The form
carries `dayparts_shown` so a reader knows the editor was on the page (no row filled in
then means "all week, all day").
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from starlette.datastructures import FormData

from shelfspace.catalog.schemas import WEEKDAYS, Daypart
from shelfspace.dashboard.forms import FieldErrors, errors_of, text, texts

MARKER = "dayparts_shown"
BLANK_ROWS = 2  # empty rows offered under the saved ones
MAX_ROWS = 50  # the API's limit (Targeting.dayparts)
DAY_NAMES = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}


@dataclass(frozen=True, slots=True)
class Row:
    n: int
    days: list[str]
    start: str
    end: str


def rows(dayparts: list[dict[str, object]] | list[Daypart]) -> list[Row]:
    """The form's rows for saved day-parts, and blank rows to add more."""
    shown = [d if isinstance(d, Daypart) else Daypart.model_validate(d) for d in dayparts]
    found = [Row(n, list(d.days), d.start, "00:00" if d.end == "24:00" else d.end) for n, d in enumerate(shown)]
    return found + [Row(len(found) + k, [], "", "") for k in range(BLANK_ROWS)]


def typed_rows(form: FormData) -> list[Row]:
    """The rows as typed (to show the form again after a mistake)."""
    found = []
    for n in range(MAX_ROWS + BLANK_ROWS):
        days, start, end = (
            texts(form, f"daypart_days_{n}"),
            text(form, f"daypart_start_{n}"),
            text(form, f"daypart_end_{n}"),
        )
        if f"daypart_start_{n}" not in form and not days:
            break
        found.append(Row(n, days, start, end))
    return found


def read(form: FormData, errors: FieldErrors) -> list[Daypart] | None:
    """The day-parts the form sets, `errors` filled per row; None when the form has no
    day-part editor (its reader keeps what is saved)."""
    if MARKER not in form:
        return None
    found: list[Daypart] = []
    for row in typed_rows(form):
        if not row.days and not row.start and not row.end:
            continue
        key = f"daypart_{row.n}"
        unknown = [d for d in row.days if d not in WEEKDAYS]
        if not row.days or unknown:
            errors[key] = "Tick the days these hours apply to."
            continue
        if not row.start or not row.end:
            errors[key] = "Give the hours, e.g. from 08:00 to 12:30."
            continue
        end = "24:00" if row.end == "00:00" and row.start != "00:00" else row.end
        try:
            found.append(Daypart(days=row.days, start=row.start, end=end))
        except ValidationError as exc:
            message = next(iter(errors_of(exc).values()), "")
            errors[key] = (
                "The end must come after the start: split hours that cross midnight in two rows."
                if "after start" in message
                else "Hours as HH:MM, e.g. 08:00 to 12:30."
            )
    if len(found) > MAX_ROWS:
        errors["dayparts"] = f"At most {MAX_ROWS} rows of hours."
    return found


def described(dayparts: list[dict[str, object]]) -> str:
    """`Mon, Tue 08:00–12:30; Sat 10:00–24:00`, or all week."""
    if not dayparts:
        return "all week, all day"
    parts = [Daypart.model_validate(d) for d in dayparts]
    return "; ".join(f"{', '.join(DAY_NAMES[x] for x in p.days)} {p.start}–{p.end}" for p in parts)
