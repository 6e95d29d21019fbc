"""The errors govops raises on purpose, each with an HTTP status and a stable code.

Every error becomes one RFC 9457 problem detail at the web boundary. The tree::

    GovopsError
    ├── NotFound                 an indicator, area, series or load that does not exist (404)
    ├── InvalidRequest           a query parameter or body field that cannot be used (400)
    │   └── InvalidPeriodError   a period code that does not parse (from core.periods)
    ├── RejectedBatch            a batch of rows with errors; nothing of it was stored (422)
    ├── Conflict                 a write that contradicts what is stored (409)
    ├── PayloadTooLarge          a body or file over the configured limit (413)
    ├── UnsupportedMediaType     a body that is not a format we read (415)
    └── NotAcceptable            an answer format we cannot produce (406)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


class GovopsError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(GovopsError):
    status = 404
    code = "not-found"
    title = "Not found"


class InvalidRequest(GovopsError):
    status = 400
    code = "invalid-request"
    title = "Invalid request"


@dataclass(frozen=True)
class RowError:
    """One refused row: its number in the batch (1 = first data row), field and reason."""

    row: int
    field: str
    reason: str
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason, "value": self.value}


@dataclass
class RowErrors:
    """Collects row errors up to a limit, so a file of a million bad rows stays readable."""

    limit: int = 1000
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    def add(self, row: int, field_name: str, reason: str, value: object = None) -> None:
        self.total += 1
        if len(self.errors) < self.limit:
            shown = None if value is None else str(value)[:200]
            self.errors.append(RowError(row, field_name, reason, shown))

    def __bool__(self) -> bool:
        return self.total > 0


class RejectedBatch(GovopsError):
    status = 422
    code = "rejected-batch"
    title = "Batch rejected; nothing of it was stored"

    def __init__(self, errors: RowErrors) -> None:
        first = errors.errors[0]
        super().__init__(
            f"{errors.total} row error(s); first at row {first.row}, field "
            f"'{first.field}': {first.reason}",
            errors=[error.as_dict() for error in errors.errors],
            error_count=errors.total,
        )
        self.row_errors = errors


class Conflict(GovopsError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(GovopsError):
    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaType(GovopsError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class NotAcceptable(GovopsError):
    status = 406
    code = "not-acceptable"
    title = "Not acceptable"
