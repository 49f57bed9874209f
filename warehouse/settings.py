"""Database settings, read from the environment when asked for (never at import time)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import platformdirs

DATABASE_URL_ENV = "CRYPTO_RISK_DATABASE_URL"
HOME_ENV = "CRYPTO_RISK_HOME"
TIMESCALE_ENV = "CRYPTO_RISK_TIMESCALE"  # auto (default) | off
DEFAULT_DATABASE = "crypto_risk"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the setting."""


@dataclass(frozen=True)
class DatabaseUrl:
    """A PostgreSQL URL, rendered for each client that needs a slightly different dialect.

    The canonical form is libpq's ``postgresql://user:pass@host:port/db?host=/socket``. The
    embedded server listens on a Unix socket only, so URLs carry the socket in ``?host=``.
    """

    url: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        scheme = parts.scheme.split("+", 1)[0]
        if scheme not in ("postgresql", "postgres"):
            raise ConfigError(f"{DATABASE_URL_ENV} must be a postgresql:// URL, got scheme {parts.scheme!r}")
        if not parts.path.strip("/"):
            raise ConfigError(f"{DATABASE_URL_ENV} must name a database (postgresql://.../dbname)")
        netloc = parts.netloc.replace(":@", "@", 1)  # an empty password is no password
        object.__setattr__(self, "url", urlunsplit(("postgresql", netloc, *parts[2:])))

    def _with_scheme(self, scheme: str) -> str:
        return urlunsplit((scheme, *urlsplit(self.url)[1:]))

    @property
    def libpq(self) -> str:
        """For psycopg, psql, DuckDB's postgres scanner."""
        return self.url

    @property
    def sqlalchemy(self) -> str:
        """For SQLAlchemy and Alembic (psycopg 3 driver)."""
        return self._with_scheme("postgresql+psycopg")

    @property
    def psycopg2(self) -> str:
        """For dagster-postgres: psycopg 3 breaks its ``NOTIFY run_events`` statement."""
        return self._with_scheme("postgresql+psycopg2")

    @property
    def dlt(self) -> str:
        """For dlt's postgres destination, which insists on a host and a non-empty password.

        A query ``host=`` (the socket) still wins over the placeholder host when connecting.
        """
        parts = urlsplit(self.url)
        user = parts.username or "postgres"
        password = parts.password or "unused"
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        netloc = f"{user}:{password}@{host}{port}"
        return urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))

    @property
    def database(self) -> str:
        return urlsplit(self.url).path.strip("/")

    def with_database(self, name: str) -> DatabaseUrl:
        parts = urlsplit(self.url)
        return DatabaseUrl(urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, "")))

    def redacted(self) -> str:
        """The URL with any password replaced, for logs and status output."""
        parts = urlsplit(self.url)
        if not parts.password:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query))

    def with_query(self, **params: str) -> DatabaseUrl:
        parts = urlsplit(self.url)
        query = dict(parse_qsl(parts.query)) | params
        return DatabaseUrl(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), "")))


def home_dir() -> Path:
    """Per-user folder for the embedded database, exports and the Dagster home."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured).expanduser() if configured else Path(platformdirs.user_data_dir("crypto-risk"))


def configured_url() -> DatabaseUrl | None:
    """The production database from the environment, or None for the embedded default."""
    raw = os.environ.get(DATABASE_URL_ENV, "").strip()
    return DatabaseUrl(raw) if raw else None


def timescale_wanted() -> bool:
    """``CRYPTO_RISK_TIMESCALE=off`` forces plain tables even where the extension exists."""
    value = os.environ.get(TIMESCALE_ENV, "auto").strip().lower()
    if value not in ("auto", "off", "on"):
        raise ConfigError(f"{TIMESCALE_ENV} must be auto, on or off, got {value!r}")
    return value != "off"


# --- environment parsing shared by every package's settings (errors name the variable) ----------


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _bounded(name: str, value: float, low: float | None, high: float | None, positive: bool) -> None:
    if positive and value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")


def env_int(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    _bounded(name, value, low, high, positive=False)
    return value


def env_float(
    name: str, default: float, low: float | None = None, high: float | None = None, *, positive: bool = False
) -> float:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    _bounded(name, value, low, high, positive)
    return value

