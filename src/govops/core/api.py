"""What every domain's routes share: the database session, problem details, formats.

Domain packages build their routers on these helpers; the web package assembles them.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from govops.core.errors import GovopsError, InvalidRequest, NotAcceptable
from govops.core.periods import PeriodError
from govops.core.settings import Settings

log = logging.getLogger(__name__)

# Rows are numbered by the database's integer keys; a larger number names no row, and
# refusing it here keeps it from reaching PostgreSQL as an out-of-range error.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The row's number")]

# Relative references, resolved against this server (RFC 9457 section 3.1.1).
PROBLEM_TYPE_BASE = "/problems/"
FORMATS = {
    "json": "application/json",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class Problem(BaseModel):
    """An RFC 9457 problem detail; refused batches add ``errors``, one per row and field."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["/problems/rejected-batch"])
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None,
        description="For refused rows: row (1 = first data row), field, reason, value",
    )


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {"application/problem+json": {}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response("A parameter or body that cannot be used"),
    401: _problem_response("No bearer token, or one that is unknown, expired or revoked"),
    403: _problem_response("A caller without the permission the operation needs"),
    404: _problem_response("An indicator, area or submission that does not exist"),
    406: _problem_response("An answer format that is not offered"),
    500: _problem_response("A server error (logged with its request id)"),
}
WRITE_PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    409: _problem_response("A write that collides with a stored vintage"),
    413: _problem_response("A body over the size or row limit"),
    415: _problem_response("A body that is not the format it claims"),
    422: _problem_response("A batch with row errors; nothing of it was stored"),
}


def app_settings(request: Request) -> Settings:
    """The settings the application was created with (not re-read from the environment)."""
    settings: Settings = request.app.state.settings
    return settings


def db_session(request: Request) -> Iterator[Session]:
    """A session per request; routes that write commit explicitly."""
    with request.app.state.sessions() as session:
        yield session


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    **extensions: Any,
) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        **extensions,
    }
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def problem_for(error: GovopsError, request: Request) -> JSONResponse:
    return problem(
        error.status,
        error.code,
        error.title,
        error.detail,
        instance=request.url.path,
        **error.extensions,
    )


def problem_for_period(error: PeriodError, request: Request) -> JSONResponse:
    return problem(400, "invalid-period", "Invalid period", str(error), instance=request.url.path)


def choose_format(request: Request, requested: str | None) -> str:
    """The answer format from ?format=, else the Accept header, else JSON."""
    if requested:
        if requested not in FORMATS:
            raise NotAcceptable(
                f"format '{requested}' is not offered; choose one of {', '.join(FORMATS)}"
            )
        return requested
    accept = request.headers.get("accept", "")
    for name, media_type in FORMATS.items():
        if media_type in accept:
            return name
    return "json"


def parse_date(text: str | None, *, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"{field} '{text}' is not a date like 2025-06-30", field=field
        ) from None


def parse_instant(text: str | None, *, field: str) -> datetime | None:
    """An ISO 8601 instant; a bare date means the end of that day in Viet Nam."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(
                day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=_vietnam()
            ).astimezone(UTC)
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"{field} '{text}' is not an ISO 8601 date or timestamp "
            "(2025-06-30 or 2025-06-30T09:00:00+07:00)",
            field=field,
        ) from None
    if stamp.tzinfo is None:
        raise InvalidRequest(f"{field} '{text}' has no time zone; add +07:00 or Z", field=field)
    return stamp.astimezone(UTC)


def _vietnam() -> Any:
    from zoneinfo import ZoneInfo

    from govops.core.settings import get_settings

    return ZoneInfo(get_settings().timezone)


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest(
            "cursor is not one this server gave out; start again without it", field="cursor"
        ) from None


def split_list(values: list[str] | None) -> list[str]:
    """Repeated or comma-separated query values as one list."""
    items: list[str] = []
    for value in values or []:
        items.extend(part.strip() for part in value.split(",") if part.strip())
    return items
