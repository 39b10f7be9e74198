"""One place for every setting, read from `SHELFSPACE_*` environment variables.

Settings are validated when the process starts, so a typo in a URL or a port stops the
start with a message naming the variable, instead of failing on the first request.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import babel
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from shelfspace.core.attribution import ViewThrough, Windows
from shelfspace.core.outbound import OutboundPolicy

ENV_PREFIX = "SHELFSPACE_"
SUPPORTED_DATABASES = ("sqlite", "postgresql")


class SmtpSecurity(StrEnum):
    """How the connection to the SMTP server is protected."""

    STARTTLS = "starttls"  # a plain connection upgraded with STARTTLS (port 587); refused if not offered
    TLS = "tls"  # TLS from the first byte (port 465)
    NONE = "none"  # no encryption: only for a relay on the same machine or network


class Settings(BaseSettings):
    """The whole configuration of one Shelfspace process."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means the embedded SQLite file under data_dir.",
    )
    redis_url: str | None = Field(
        default=None, description="Production mode: counters in this Redis, events published on its stream."
    )
    archive_dir: Path | None = Field(
        default=None,
        description="Where the rollup workers archive raw events as Parquet, a file per day; "
        "default: data_dir/archive. Shared storage when workers run on several machines.",
    )
    public_url: str | None = Field(
        default=None, description="Base of tracking and asset URLs; default: the bound host and port."
    )
    bootstrap_key: SecretStr | None = Field(
        default=None, description="If set and no API key exists, an operator key with this value."
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Signs dashboard sessions; unset means a random one kept in data_dir (one server only).",
    )
    # Outbound calls, the Prebid endpoint's CORS and /metrics (docs/security.md).
    outbound_allow_private: bool = Field(
        default=False,
        description="Let the server call private, loopback and link-local addresses (demand partners' "
        "endpoints and notices): for a partner on a private network, or tests.",
    )
    prebid_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Comma-separated origins (https://shop.example) whose pages may call "
        "/openrtb2/auction from the browser; the network's own public URL always may.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="A bearer token that may read /metrics (Prometheus' `authorization`); "
        "an operator API key always may.",
    )
    network_name: str = Field(
        default="Shelfspace network",
        min_length=1,
        max_length=100,
        description="The network's name, as brands see it (media kit, sign-up).",
    )
    timezone: str = Field(default="UTC", description="The network's reporting time zone.")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    locale: str | None = Field(
        default=None,
        max_length=20,
        description="How pages write numbers and money (a CLDR locale: en_GB, de_DE); unset: "
        "English as written in `country` (en_GB, en_DE), else en_US.",
    )
    country: str = Field(
        default="US",
        pattern=r"^[A-Z]{2}$",
        description="The network's country (ISO 3166 alpha-2): a phone number without a "
        "country code is read as this country's in offsite exports.",
    )
    audience_min_size: int = Field(
        default=100,
        ge=1,
        le=1_000_000,
        description="A segment with fewer users can be neither targeted, exported nor reported on.",
    )
    audience_size_questions_per_day: int = Field(
        default=50,
        ge=1,
        le=100_000,
        description="Audience sizes a brand may ask for per UTC day (previews, new or changed rules); beyond, 429. "
        "Bounds differencing attacks (docs/audiences.md).",
    )
    # Billing: who issues invoices, and the tax on them.
    company_name: str | None = Field(
        default=None, max_length=200, description="The operator's legal name on invoices; default: the network's name."
    )
    company_address: str = Field(
        default="", max_length=500, description="The operator's address on invoices; lines separated by '\\n' or ';'."
    )
    company_tax_id: str = Field(default="", max_length=60, description="The operator's VAT or GST number.")
    tax_rate: Decimal = Field(
        default=Decimal(0), ge=0, le=100, decimal_places=3, description="VAT or GST on invoices, in percent (e.g. 20)."
    )
    tax_label: str = Field(default="VAT", min_length=1, max_length=40, description="The tax's name: VAT, GST, ...")
    tax_on_prepaid_receipts: bool = Field(
        default=True, description="False: prepaid brands' receipts carry no tax (taxed where they paid in, say)."
    )
    invoice_prefix: str = Field(
        default="INV",
        pattern=r"^[A-Z0-9]{1,12}$",
        description="Invoice numbers are this, a dash and the network's running count.",
    )
    payment_terms_days: int = Field(default=30, ge=0, le=365, description="Days a credit invoice is due in.")
    impression_url_ttl_seconds: int = Field(
        default=24 * 3600, ge=60, le=90 * 86400, description="How long impression and viewable URLs count."
    )
    attribution_post_click_days: int = Field(default=14, ge=1, le=90, description="Days a click may earn a sale.")
    attribution_post_view_days: int = Field(default=1, ge=0, le=30, description="Days a view may earn a sale.")
    attribution_view_through: ViewThrough = Field(
        default=ViewThrough.IMPRESSION,
        description="Which views may earn a sale: 'impression' (any counted impression) or 'viewable' (only one "
        "measured viewable, MRC: 50% of the pixels for 1 s, 2 s for video). Clicks are the same either way.",
    )
    click_url_ttl_seconds: int = Field(
        default=7 * 86400, ge=60, le=90 * 86400, description="How long click URLs count."
    )
    # E-mail (the sign-up's verification links; mail.py). No host: each message is written to the server log.
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail; unset: messages go to the log.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 TLS, 25 none).")
    smtp_username: str | None = Field(default=None, description="SMTP login; unset: no AUTH.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password, with smtp_username.")
    smtp_security: SmtpSecurity = Field(
        default=SmtpSecurity.STARTTLS,
        description="'starttls' (upgrade a plain connection), 'tls' (TLS from the start) or 'none' (a local relay).",
    )
    mail_from: str = Field(
        default="shelfspace@localhost",
        pattern=r"^[^@\s<>]+@[^@\s<>]+$",
        description="The From address of the e-mails Shelfspace sends.",
    )
    signups_per_address_per_hour: int = Field(
        default=5, ge=1, le=10_000, description="Brand sign-ups one network address may make in an hour."
    )
    request_sample_percent: int = Field(
        default=10,
        ge=1,
        le=100,
        description="The share of decision requests kept for 28 days for forecasts to replay (placements, page "
        "context, consent and a keyed hash of the user id, never the id): every request of a sampled "
        "user, so caps and reach replay as they happened. More is a finer forecast and a bigger table.",
    )
    forecast_sample_rate: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="The same share as a fraction (the name /work/shared/api.md gives it): 0.01 to 1 in steps of "
        "0.01. When set it decides, and request_sample_percent must agree or be left unset.",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a SQLAlchemy database URL: {exc}") from None
        if url.get_backend_name() not in SUPPORTED_DATABASES:
            raise ValueError(f"database {url.get_backend_name()!r} is not supported; use one of {SUPPORTED_DATABASES}")
        return value

    @field_validator("smtp_host", "smtp_username")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("bootstrap_key")
    @classmethod
    def _bootstrap_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 24:
            raise ValueError("must be at least 24 characters: it grants operator access")
        return value

    @field_validator("prebid_origins", mode="before")
    @classmethod
    def _prebid_origins(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise ValueError("must be origins separated by commas")
        return tuple(web_origin(str(item)) for item in items if str(item).strip())

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 24:
            raise ValueError("must be at least 24 characters: it reads every partner's figures")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)") from None
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            babel.Locale.parse(value)
        except (ValueError, babel.UnknownLocaleError):
            raise ValueError(f"unknown locale {value!r} (use a CLDR name such as en_GB or de_DE)") from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _one_sample_share(cls, data: Any) -> Any:
        """`forecast_sample_rate` is the contract's name for `request_sample_percent` / 100:
        read before the fields are checked, so the percent's own bounds apply to it too."""
        if not isinstance(data, dict) or data.get("forecast_sample_rate") in (None, ""):
            return data
        try:
            rate = float(data["forecast_sample_rate"])
        except (TypeError, ValueError):
            return data  # the field's own check names it
        percent = round(rate * 100)
        if not 0 < rate <= 1 or abs(percent - rate * 100) > 1e-9:
            raise ValueError("SHELFSPACE_FORECAST_SAMPLE_RATE is a share from 0.01 to 1 in steps of 0.01")
        given = data.get("request_sample_percent")
        if given not in (None, "") and str(given).strip() != str(percent):
            raise ValueError(
                f"SHELFSPACE_FORECAST_SAMPLE_RATE={rate:g} and SHELFSPACE_REQUEST_SAMPLE_PERCENT="
                f"{given} disagree; set one"
            )
        return data | {"request_sample_percent": percent}

    @model_validator(mode="after")
    def _production_needs_postgres(self) -> Settings:
        if self.redis_url is not None and (self.database_url is None or not self.database_url.startswith("postgres")):
            raise ValueError(
                "SHELFSPACE_REDIS_URL (production mode: several processes share Redis) needs "
                "SHELFSPACE_DATABASE_URL to be a postgresql:// URL they all share"
            )
        return self

    def sqlalchemy_url(self) -> URL:
        """The catalogue database: the configured URL, or SQLite under the data dir.

        A bare `postgresql://` URL is pointed at psycopg 3, the driver we install.
        """
        if self.database_url is None:
            return make_url(f"sqlite:///{(self.data_dir / 'shelfspace.db').resolve()}")
        url = make_url(self.database_url)
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url

    def postgres_conninfo(self) -> str:
        """The database URL as libpq reads it (psycopg's own connections: the event log)."""
        return self.sqlalchemy_url().set(drivername="postgresql").render_as_string(hide_password=False)

    def attribution_windows(self) -> Windows:
        """The network's attribution terms, as every caller of attribution carries them."""
        return Windows(
            post_click_days=self.attribution_post_click_days,
            post_view_days=self.attribution_post_view_days,
            view_through=self.attribution_view_through,
        )

    def outbound_policy(self) -> OutboundPolicy:
        """What the server may call, as every outbound caller carries it (core/outbound.py)."""
        return OutboundPolicy(allow_private=self.outbound_allow_private)

    def archive_directory(self) -> Path:
        return self.archive_dir or self.data_dir / "archive"

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def auction_origins(self) -> frozenset[str]:
        """The origins whose pages may call /openrtb2/auction: the listed ones and our own."""
        own = urlsplit(self.base_url().lower())
        return frozenset(self.prebid_origins) | {f"{own.scheme}://{own.netloc}"}


def web_origin(value: str) -> str:
    """`scheme://host[:port]`, as a browser sends it in `Origin`, or ValueError."""
    text = value.strip().lower().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.username:
        raise ValueError(f"{value.strip()!r} is not an origin such as https://shop.example")
    return text


class SettingsError(Exception):
    """A setting is invalid; the message names each bad environment variable."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, turning pydantic's report into named variables."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            if error["loc"]:
                problems.append(f"{ENV_PREFIX}{str(error['loc'][0]).upper()}: {error['msg']}")
            else:  # a rule across settings: its message names them
                problems.append(str(error["msg"]).removeprefix("Value error, "))
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems)) from None
