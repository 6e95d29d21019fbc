"""Pull connectors: govops fetches a flow's data from the provider's HTTP endpoint.

Each fetch is conditional (``If-None-Match`` with the last ETag, ``If-Modified-Since``
with the last Last-Modified), has a timeout, and is retried on timeouts, refused
connections, 429 and 5xx answers with exponential backoff and full jitter. After
:data:`CIRCUIT_THRESHOLD` failed pulls in a row the flow's circuit opens: no pull is
tried until a cool-down passes, so a broken endpoint is not hammered. What is fetched
becomes a delivery like a pushed one (raw payload kept first, same checks, same receipt).

The credentials header is sent, never logged nor shown; logs name the endpoint without
its query string or user information.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from govops.core.db import now_utc, transaction
from govops.core.errors import GovopsError
from govops.exchange import inbound
from govops.exchange.addresses import check_address
from govops.exchange.formats import FORMAT_OF
from govops.exchange.models import ExchangeFlow
from govops.exchange.registry import get_flow, schedule_minutes

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
RETRIES = 3
BACKOFF_SECONDS = 0.5
CIRCUIT_THRESHOLD = 3
COOL_DOWN = timedelta(minutes=5)
MAX_COOL_DOWN = timedelta(hours=1)
# Conditional requests make frequent polling cheap; a monthly flow is still checked hourly
# so a late delivery is picked up soon after it is published.
MAX_POLL_INTERVAL = timedelta(hours=1)
MAX_PULL_BYTES = 48 * 1024 * 1024
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class _RedactRequests(logging.Filter):
    """httpx logs each request's full URL at INFO; an endpoint's query string may hold a
    token, so it is cut before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = str(record.msg).startswith("HTTP Request")
        if request and isinstance(record.args, tuple) and len(record.args) >= 2:
            args = list(record.args)
            args[1] = safe_url(str(args[1]))
            record.args = tuple(args)
        return True


logging.getLogger("httpx").addFilter(_RedactRequests())


@dataclass(frozen=True)
class PullResult:
    flow: str
    # stored, refused, not modified, failed, circuit open
    outcome: str
    delivery_id: int | None = None
    detail: str = ""


class PullFailed(Exception):
    pass


@dataclass(frozen=True)
class Fetcher:
    timeout: float = TIMEOUT_SECONDS
    retries: int = RETRIES
    backoff: float = BACKOFF_SECONDS
    sleep: Callable[[float], None] = time.sleep


def safe_url(url: str) -> str:
    """The URL as logs may show it: no user information, no query string."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def run_due_pulls(
    sessions: sessionmaker[Session], *, now: datetime | None = None, fetcher: Fetcher = Fetcher()
) -> list[PullResult]:
    now = now or now_utc()
    with sessions() as session:
        due = list(
            session.scalars(
                select(ExchangeFlow.code).where(
                    ExchangeFlow.transport == "pull",
                    ExchangeFlow.active,
                    or_(ExchangeFlow.pull_next_at.is_(None), ExchangeFlow.pull_next_at <= now),
                )
            )
        )
    return [pull_flow(sessions, code, now=now, fetcher=fetcher) for code in due]


def pull_flow(
    sessions: sessionmaker[Session],
    code: str,
    *,
    now: datetime | None = None,
    fetcher: Fetcher = Fetcher(),
) -> PullResult:
    """Fetch the flow's endpoint once (with retries) and deliver what changed."""
    now = now or now_utc()
    with transaction(sessions) as session:
        flow = get_flow(session, code)
        if flow.pull_open_until is not None and flow.pull_open_until > now:
            return PullResult(code, "circuit open", detail=f"until {flow.pull_open_until}")
        url, secret, etag, modified = (
            flow.pull_url or "",
            flow.pull_secret_header,
            flow.pull_etag,
            flow.pull_last_modified,
        )
        fallback_format = flow.format
        try:
            check_address(session, url, field="pull_url")
        except GovopsError as error:
            _failed(flow, now, error.detail)
            return PullResult(code, "failed", detail=error.detail)
    try:
        response = _fetch(url, _headers(secret, etag, modified), fetcher)
    except PullFailed as error:
        with transaction(sessions) as session:
            _failed(get_flow(session, code), now, str(error))
        return PullResult(code, "failed", detail=str(error))
    return _deliver(sessions, code, response, fallback_format, now)


def _headers(secret: str | None, etag: str | None, modified: str | None) -> dict[str, str]:
    headers = {"Accept": "text/csv, application/json;q=0.9", "User-Agent": "govops-pull"}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    if secret:
        name, _, value = secret.partition(":")
        headers[name.strip()] = value.strip()
    return headers


@dataclass(frozen=True)
class Fetched:
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


def _fetch(url: str, headers: dict[str, str], fetcher: Fetcher) -> Fetched:
    shown = safe_url(url)
    last_error = ""
    with httpx.Client(timeout=fetcher.timeout, follow_redirects=False) as client:
        for attempt in range(fetcher.retries + 1):
            if attempt:
                # Full jitter: providers hit by many clients at once are not hit in step.
                fetcher.sleep(random.uniform(0, fetcher.backoff * 2 ** (attempt - 1)))
            try:
                fetched = _get(client, url, headers)
            except httpx.TimeoutException:
                last_error = f"{shown} did not answer within {fetcher.timeout:g} s"
            except httpx.HTTPError as error:
                last_error = f"{shown} could not be reached ({type(error).__name__})"
            else:
                if fetched.status not in RETRIED_STATUSES:
                    if fetched.status in (200, 304):
                        return fetched
                    raise PullFailed(f"{shown} answered {fetched.status}")
                last_error = f"{shown} answered {fetched.status}"
            log.info("pull from %s failed (attempt %s): %s", shown, attempt + 1, last_error)
    raise PullFailed(f"{last_error}, after {fetcher.retries + 1} attempts")


def _get(client: httpx.Client, url: str, headers: dict[str, str]) -> Fetched:
    with client.stream("GET", url, headers=headers) as response:
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > MAX_PULL_BYTES:
                raise PullFailed(f"{safe_url(url)} sent more than {MAX_PULL_BYTES} bytes")
        return Fetched(
            response.status_code,
            bytes(body),
            response.headers.get("content-type", ""),
            response.headers.get("etag"),
            response.headers.get("last-modified"),
        )


def _deliver(
    sessions: sessionmaker[Session], code: str, fetched: Fetched, fallback: str, now: datetime
) -> PullResult:
    if fetched.status == 304:
        with transaction(sessions) as session:
            _succeeded(get_flow(session, code), now, fetched)
        return PullResult(code, "not modified")
    media = fetched.content_type.split(";")[0].strip().lower()
    fmt = FORMAT_OF.get(media, fallback)
    try:
        received = inbound.receive(
            sessions, code, fetched.body, fmt, sender=None, transport="pull"
        )
    except GovopsError as error:
        with transaction(sessions) as session:
            _failed(get_flow(session, code), now, error.detail)
        return PullResult(code, "failed", detail=error.detail)
    delivery = inbound.process(sessions, received.inbound_id)
    with transaction(sessions) as session:
        flow = get_flow(session, code)
        if delivery.status == "rejected":
            _failed(flow, now, f"delivery {delivery.id} was refused; see its receipt")
        else:
            _succeeded(flow, now, fetched)
    outcome = "refused" if delivery.status == "rejected" else "stored"
    return PullResult(code, outcome, delivery.id)


def _succeeded(flow: ExchangeFlow, now: datetime, fetched: Fetched) -> None:
    flow.pull_etag = fetched.etag or flow.pull_etag
    flow.pull_last_modified = fetched.last_modified or flow.pull_last_modified
    flow.pull_failures = 0
    flow.pull_open_until = None
    flow.pull_last_error = None
    flow.pull_next_at = now + _interval(flow)


def _failed(flow: ExchangeFlow, now: datetime, reason: str) -> None:
    flow.pull_failures += 1
    flow.pull_last_error = reason
    flow.pull_next_at = now + _interval(flow)
    if flow.pull_failures >= CIRCUIT_THRESHOLD:
        cool = min(COOL_DOWN * 2 ** (flow.pull_failures - CIRCUIT_THRESHOLD), MAX_COOL_DOWN)
        flow.pull_open_until = now + cool
        flow.pull_next_at = flow.pull_open_until
    log.warning("pull of flow %s failed (%s in a row): %s", flow.code, flow.pull_failures, reason)


def _interval(flow: ExchangeFlow) -> timedelta:
    return min(timedelta(minutes=schedule_minutes(flow.schedule)), MAX_POLL_INTERVAL)
