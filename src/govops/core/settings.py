"""One settings object, read from environment variables prefixed ``GOVOPS_``.

Nothing else in govops reads the environment: every module takes what it needs from
:func:`get_settings`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    DEVELOPMENT = "development"
    DEMO = "demo"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVOPS_", env_file=None, extra="ignore")

    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite file.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; when unset, a SQLite file in data_dir is used.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    # Bodies larger than this are refused before they are read whole; bulk files of
    # millions of rows go through `govops data load`, not the API.
    max_body_bytes: int = 20 * 1024 * 1024
    max_rows_per_write: int = 200_000
    # A data query answering more cells than this is refused with advice to narrow it.
    max_query_cells: int = 500_000
    # Data answers kept in each server process until their data changes; 0 turns it off.
    answer_cache_bytes: int = 64 * 1024 * 1024
    timezone: str = "Asia/Ho_Chi_Minh"
    # Sign-in throttling (govops.security.throttle). Failed sign-ins are counted over
    # the last `signin_lock_minutes`: past the free ones, each attempt waits twice as long
    # as the one before, starting at `signin_first_delay_seconds`; at the lock count, the
    # account (or the client address) is locked for `signin_lock_minutes`.
    signin_account_free_failures: int = Field(default=3, ge=0)
    signin_account_lock_failures: int = Field(default=10, ge=1)
    signin_address_free_failures: int = Field(default=10, ge=0)
    signin_address_lock_failures: int = Field(default=50, ge=1)
    signin_first_delay_seconds: float = Field(default=1.0, gt=0)
    signin_lock_minutes: float = Field(default=15.0, gt=0)
    # API request rate per API key or personal token (govops.security.ratelimit): a
    # steady rate per minute, and a burst that may be spent at once.
    api_requests_per_minute: int = Field(default=600, ge=1)
    api_request_burst: int = Field(default=100, ge=1)
    # Single sign-on through an OpenID Connect provider (govops.security.oidc), offered on
    # the sign-in page when the issuer and the client id are set. The client secret comes
    # from the environment or, better, from a file readable by govops alone.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = Field(default=None, repr=False)
    oidc_client_secret_file: Path | None = None
    oidc_provider_name: str = Field(default="single sign-on", description="Shown on the button.")
    oidc_scopes: str = "openid email profile"
    # Where the provider sends the browser back; by default this server's own address as
    # the request reached it (set it behind a reverse proxy that changes the address).
    oidc_redirect_uri: str | None = None
    # A person the provider names but no account matches (by a link made earlier, or by a
    # verified e-mail address) gets a new account of this role when set; else is refused.
    oidc_new_account_role: str | None = None

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'govops.sqlite').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
