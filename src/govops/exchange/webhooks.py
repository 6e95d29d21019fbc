"""Webhooks: each change a consumer may receive, posted to its address and signed.

Signatures follow the Standard Webhooks scheme: headers ``webhook-id`` (the CloudEvent's
id), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,`` and the
base64 HMAC-SHA256 of ``id.timestamp.body`` keyed with the secret after ``whsec_``).

Events reach a subscription in two steps: :func:`fan_out` turns new outbox events into
deliveries owed, in order; :func:`deliver_due` posts those due, one subscription's in
order, several subscriptions at once. A failed post is retried on :data:`RETRY_SCHEDULE`;
after the last retry the delivery is dead, listed, and can be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from govops.catalog.models import Agency
from govops.core.db import now_utc, transaction
from govops.core.errors import InvalidRequest, NotFound
from govops.datastore.models import OutboxEvent
from govops.exchange.addresses import check_address
from govops.exchange.events import (
    Audience,
    audience_of,
    cloud_event,
    event_id,
    events_after,
)
from govops.exchange.models import Subscription, WebhookDelivery
from govops.security.permissions import Clearance, Principal, Scope

log = logging.getLogger(__name__)

# After the first attempt, as the Standard Webhooks guidance suggests: a subscriber down
# for an hour gets the change at the third retry; one down for a day still gets it.
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
TIMEOUT_SECONDS = 10.0
FAN_OUT_PAGE = 500
DELIVERY_PAGE = 500
PARALLEL_SUBSCRIBERS = 8
SECRET_PREFIX = "whsec_"
PRUNED = "the event was pruned from the feed before it could be delivered"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for a body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, *, tolerance: int = 300) -> bool:
    """Whether a received webhook is genuine and recent; for subscribers and tests."""
    message_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > tolerance:
        return False
    expected = sign(secret, message_id, int(stamp), body).removeprefix("v1,")
    given = [part.removeprefix("v1,") for part in headers.get("webhook-signature", "").split()]
    return any(hmac.compare_digest(expected, signature) for signature in given)


# --- subscriptions --------------------------------------------------------------------


@dataclass(frozen=True)
class NewSubscription:
    subscription: Subscription
    secret: str


def subscribe(
    session: Session,
    *,
    consumer_agency_id: int,
    url: str,
    flows: list[str],
    from_now: bool = True,
) -> NewSubscription:
    """A webhook for the consumer; it receives changes made from now on, or, with
    ``from_now=False``, every change the outbox still holds."""
    if session.get(Agency, consumer_agency_id) is None:
        raise InvalidRequest(f"agency {consumer_agency_id} does not exist", field="agency")
    check_address(session, url)
    secret = new_secret()
    start = 0
    if from_now:
        start = session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id.desc())) or 0
    subscription = Subscription(
        consumer_agency_id=consumer_agency_id,
        url=url,
        secret=secret,
        flows=json.dumps(sorted(set(flows))),
        cursor=start,
        active=True,
        created_at=now_utc(),
    )
    session.add(subscription)
    session.flush()
    return NewSubscription(subscription, secret)


def get_subscription(session: Session, subscription_id: int) -> Subscription:
    found = session.get(Subscription, subscription_id)
    if found is None:
        raise NotFound(f"no subscription {subscription_id}", field="subscription")
    return found


def list_subscriptions(session: Session, agency_id: int | None = None) -> list[Subscription]:
    query = select(Subscription).order_by(Subscription.id)
    if agency_id is not None:
        query = query.where(Subscription.consumer_agency_id == agency_id)
    return list(session.scalars(query))


def _consumer(subscription: Subscription) -> Principal:
    # A webhook receives what its agency's systems may: the access rules decide, each
    # up to the classification it grants.
    return Principal(
        name=f"subscription {subscription.id}",
        permissions=frozenset(),
        clearance=Clearance.RESTRICTED,
        agency_id=subscription.consumer_agency_id,
        scope=Scope.OWN_AGENCY,
    )


# --- fan-out and delivery -------------------------------------------------------------


def fan_out(
    session: Session,
    *,
    now: datetime | None = None,
    audiences: dict[int, Audience] | None = None,
) -> int:
    """Owe each active subscription the new events it may receive; answers how many.

    ``audiences``, kept by the caller across calls, holds what each subscription may
    receive as read the first time: a run of the sending job reads the access rules once,
    not at every round; the next run reads them afresh.
    """
    now = now or now_utc()
    audiences = {} if audiences is None else audiences
    owed = 0
    for subscription in session.scalars(_ACTIVE_SUBSCRIPTIONS):
        events = events_after(session, subscription.cursor, FAN_OUT_PAGE)
        if not events:
            continue
        audience = audiences.get(subscription.id)
        if audience is None:
            audience = audiences[subscription.id] = audience_of(session, _consumer(subscription))
        only = frozenset(json.loads(subscription.flows))
        for event in events:
            if audience.admits(event, only):
                session.add(
                    WebhookDelivery(
                        subscription_id=subscription.id,
                        event_id=event.id,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                owed += 1
        subscription.cursor = events[-1].id
    session.flush()
    return owed


@dataclass
class Attempt:
    delivery_id: int
    ok: bool
    status: int | None = None
    error: str | None = None


@dataclass
class DeliveryRun:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    attempts: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    delivery_id: int
    url: str
    secret: str
    message_id: str
    body: bytes


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    now: datetime | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> DeliveryRun:
    """Post every delivery that is due; record each attempt and schedule the failures."""
    now = now or now_utc()
    groups, missing = _due(sessions, now)
    run = DeliveryRun()
    client = _client(timeout)
    if len(groups) == 1:
        run.attempts.extend(_post_in_order(client, groups[0]))
    elif groups:
        with ThreadPoolExecutor(max_workers=min(PARALLEL_SUBSCRIBERS, len(groups))) as pool:
            for attempts in pool.map(lambda group: _post_in_order(client, group), groups):
                run.attempts.extend(attempts)
    failures = [attempt for attempt in run.attempts if not attempt.ok]
    failures += [Attempt(delivery_id, False, error=PRUNED) for delivery_id in missing]
    if not run.attempts and not failures:
        return run
    with transaction(sessions) as session:
        _record_delivered(session, [attempt for attempt in run.attempts if attempt.ok], run)
        if failures:
            _record_failures(session, failures, now, run)
    return run


def _record_delivered(session: Session, attempts: list[Attempt], run: DeliveryRun) -> None:
    """Mark the delivered ones in a statement per answer status, without reading them."""
    by_status: dict[int | None, list[int]] = defaultdict(list)
    for attempt in attempts:
        by_status[attempt.status].append(attempt.delivery_id)
    delivered_at = now_utc()
    for status, ids in by_status.items():
        done = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(
                status="delivered",
                attempts=WebhookDelivery.attempts + 1,
                last_status=status,
                last_error=None,
                delivered_at=delivered_at,
            )
            .execution_options(synchronize_session=False)
        )
        run.delivered += int(done.rowcount)  # type: ignore[attr-defined]


_clients: dict[float, httpx.Client] = {}
_clients_lock = threading.Lock()


def _client(timeout: float) -> httpx.Client:
    """A client kept for the process: making one costs milliseconds (its TLS context),
    more than posting a small change to a subscriber nearby. Clients are thread-safe."""
    with _clients_lock:
        client = _clients.get(timeout)
        if client is None:
            client = _clients[timeout] = httpx.Client(timeout=timeout, follow_redirects=False)
        return client


# Built once: the sending job asks it at every round.
_DUE = (
    select(WebhookDelivery, Subscription, OutboxEvent)
    .join(Subscription, Subscription.id == WebhookDelivery.subscription_id)
    .outerjoin(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
    .where(
        WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= bindparam("now")
    )
    .order_by(WebhookDelivery.subscription_id, WebhookDelivery.event_id)
    .limit(DELIVERY_PAGE)
)
_ACTIVE_SUBSCRIPTIONS = select(Subscription).where(Subscription.active)


def _due(sessions: sessionmaker[Session], now: datetime) -> tuple[list[list[_Due]], list[int]]:
    with sessions() as session:
        rows = session.execute(_DUE, {"now": now}).all()
    grouped: dict[int, list[_Due]] = defaultdict(list)
    missing: list[int] = []
    for delivery, subscription, event in rows:
        if event is None:
            missing.append(delivery.id)
            continue
        body = json.dumps(cloud_event(event), ensure_ascii=False).encode()
        grouped[subscription.id].append(
            _Due(delivery.id, subscription.url, subscription.secret, event_id(event), body)
        )
    return list(grouped.values()), missing


def _post_in_order(client: httpx.Client, group: list[_Due]) -> list[Attempt]:
    """Post one subscription's deliveries in order, stopping at the first failure so the
    subscriber never receives a later change before an earlier one on a first try."""
    attempts = []
    for due in group:
        attempt = _post(client, due)
        attempts.append(attempt)
        if not attempt.ok:
            break
    return attempts


def _post(client: httpx.Client, due: _Due) -> Attempt:
    stamp = int(time.time())
    headers = {
        "content-type": "application/cloudevents+json",
        "webhook-id": due.message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(due.secret, due.message_id, stamp, due.body),
        "user-agent": "govops-webhooks",
    }
    try:
        response = client.post(due.url, content=due.body, headers=headers)
    except httpx.TimeoutException:
        return Attempt(due.delivery_id, False, error="the subscriber did not answer in time")
    except httpx.HTTPError as error:
        return Attempt(due.delivery_id, False, error=f"{type(error).__name__}: {error}")
    if 200 <= response.status_code < 300:
        return Attempt(due.delivery_id, True, response.status_code)
    return Attempt(
        due.delivery_id, False, response.status_code, f"answered {response.status_code}"
    )


def _record_failures(
    session: Session, failures: list[Attempt], now: datetime, run: DeliveryRun
) -> None:
    failed = session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.id.in_([attempt.delivery_id for attempt in failures])
        )
    )
    deliveries = {delivery.id: delivery for delivery in failed}
    for attempt in failures:
        delivery = deliveries.get(attempt.delivery_id)
        if delivery is not None:
            _record_failure(delivery, attempt, now, run)


def _record_failure(
    delivery: WebhookDelivery, attempt: Attempt, now: datetime, run: DeliveryRun
) -> None:
    delivery.attempts += 1
    delivery.last_status = attempt.status
    delivery.last_error = attempt.error
    run.failed += 1
    if attempt.error == PRUNED or delivery.attempts > len(RETRY_SCHEDULE):
        delivery.status = "dead"
        run.dead += 1
        log.warning(
            "webhook delivery %s is dead after %s attempts: %s",
            delivery.id,
            delivery.attempts,
            attempt.error,
        )
        return
    delivery.next_attempt_at = now + RETRY_SCHEDULE[delivery.attempts - 1]


def dead_letters(session: Session, agency_id: int | None = None) -> list[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "dead")
        .order_by(WebhookDelivery.id)
    )
    if agency_id is not None:
        query = query.join(Subscription).where(Subscription.consumer_agency_id == agency_id)
    return list(session.scalars(query))


def replay_dead(
    session: Session, *, subscription_id: int | None = None, delivery_ids: Sequence[int] = ()
) -> int:
    """Make dead deliveries due again, with a fresh retry schedule; answers how many."""
    query = select(WebhookDelivery).where(WebhookDelivery.status == "dead")
    if subscription_id is not None:
        query = query.where(WebhookDelivery.subscription_id == subscription_id)
    if delivery_ids:
        query = query.where(WebhookDelivery.id.in_(delivery_ids))
    count = 0
    for delivery in session.scalars(query):
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = now_utc()
        count += 1
    session.flush()
    return count


def delivery_view(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "subscription": delivery.subscription_id,
        "event": f"govops-{delivery.event_id}",
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at.isoformat(),
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at.isoformat() if delivery.delivered_at else None,
    }
