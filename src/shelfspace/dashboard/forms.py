"""Turning a failed save into messages beside the fields that caused it.

Pages validate with the same pydantic shapes and services as the API, so a form can
never save what the API would refuse; this module only maps the errors to field names.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pydantic import ValidationError
from starlette.datastructures import FormData

from shelfspace.core.errors import ShelfspaceError

GENERAL = "_form"  # the error that belongs to no single field, shown above the form

FieldErrors = dict[str, str]


def errors_of(exc: ValidationError | ShelfspaceError) -> FieldErrors:
    errors: FieldErrors = {}
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            field = ".".join(str(p) for p in error.get("loc", ())) or GENERAL
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            errors.setdefault(field, message)
        return errors
    for problem in exc.fields:
        errors.setdefault(problem.field, problem.message)
    if not errors:
        field, sep, rest = exc.message.partition(": ")
        # Services name the field first ("email: a user with ... exists") when one is at fault.
        if sep and field.replace("_", "").isalnum() and field.islower():
            errors[field] = rest
        else:
            errors[GENERAL] = exc.message
    return errors


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional_text(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes, multi-selects), blanks dropped."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def split_commas(raw: str) -> list[str]:
    """`"tea, coffee,"` → `["tea", "coffee"]`: what people type for several values."""
    return [part.strip() for part in raw.split(",") if part.strip()]


def comma_list(form: FormData, name: str) -> list[str]:
    """A field where people type several values separated by commas."""
    return split_commas(text(form, name))


def decimal_or_text(form: FormData, name: str) -> Decimal | str | None:
    """A number as typed; left as text when it is not one, so validation names the field."""
    raw = text(form, name)
    if not raw:
        return None
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return raw
