"""Changes going out: the feed by cursor, signed webhooks with retries, the live stream."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from api_helpers import assert_problem, bearer, open_client, person_token
from conftest import Store
from govops.catalog.models import Agency
from govops.core.db import now_utc, transaction
from govops.exchange.addresses import allow_address
from govops.exchange.events import prune_feed
from govops.exchange.inbound import process, receive
from govops.exchange.models import WebhookDelivery
from govops.exchange.webhooks import RETRY_SCHEDULE, deliver_due, fan_out, subscribe
from govops.security.permissions import Clearance, Permission, Role
from test_exchange_support import (
    CSV,
    Answer,
    Loopback,
    agency_key,
    budget_csv,
    cloud_events,
    free_port,
    register_flow,
    served,
)

FEED = "/api/v1/exchange/feed"
SUBSCRIBE = frozenset({Permission.EXCHANGE_SUBSCRIBE})


def deliver(store: Store, *lines: str, flow: str = "MOF-BUDGET") -> int:
    """A provider's delivery, received and processed; answers its id."""
    received = receive(store.sessions, flow, budget_csv(*lines), "csv", sender=None)
    return process(store.sessions, received.inbound_id).id


def agency(store: Store, code: str) -> int:
    with store.session() as session:
        return session.scalars(select(Agency.id).where(Agency.code == code)).one()


@pytest.fixture
def flow(store: Store) -> Iterator[str]:
    yield register_flow(store)


def webhook(store: Store, url: str, consumer: str = "NA_OFFICE") -> str:
    with transaction(store.sessions) as session:
        allow_address(session, "127.0.0.1")
        made = subscribe(session, consumer_agency_id=agency(store, consumer), url=url, flows=[])
        return made.secret


def send_due(store: Store, now: datetime | None = None) -> None:
    with transaction(store.sessions) as session:
        fan_out(session, now=now)
    deliver_due(store.sessions, now=now)


# --- the feed -------------------------------------------------------------------------


def test_a_consumer_reads_the_feed_in_order_and_resumes_from_its_cursor(
    store: Store, flow: str
) -> None:
    key = bearer(agency_key(store, "NA_OFFICE", SUBSCRIBE))
    first = deliver(store, "BUDGET_REVENUE,VN,2025-M03,180500")
    second = deliver(store, "BUDGET_REVENUE,VN,2025-M04,170000")
    with open_client(store) as client:
        page = client.get(FEED, headers=key, params={"limit": 1}).json()
        rest = client.get(FEED, headers=key, params={"cursor": page["next_cursor"]}).json()
        empty = client.get(FEED, headers=key, params={"cursor": rest["next_cursor"]}).json()

    [event] = page["events"]
    assert event["specversion"] == "1.0"
    assert event["type"] == "vn.gov.govops.exchange.delivery.stored"
    assert event["source"] == "/govops/exchange/flows/MOF-BUDGET"
    assert event["data"]["delivery"] == first
    assert event["data"]["observations"] == [
        {
            "indicator": "BUDGET_REVENUE",
            "area": "VN",
            "period": "2025-M03",
            "value": "180500",
            "status": "A",
        }
    ]
    assert [e["data"]["delivery"] for e in rest["events"]] == [second]
    assert empty["events"] == []
    assert empty["next_cursor"] == rest["next_cursor"]


def test_a_consumer_without_an_access_rule_or_clearance_sees_nothing(store: Store) -> None:
    register_flow(store)
    register_flow(
        store,
        code="EVN-POWER",
        provider="EVN",
        indicators=["POWER_DEMAND"],
        schedule="D",
        classification="internal",
        consumers=[{"agency": "NA_OFFICE", "max_classification": "public"}],
    )
    deliver(store, "BUDGET_REVENUE,VN,2025-M03,180500")
    receive_power = receive(
        store.sessions,
        "EVN-POWER",
        b"indicator,area,period,value\nPOWER_DEMAND,VN,2025-08-01,880.5\n",
        "csv",
        sender=None,
    )
    process(store.sessions, receive_power.inbound_id)
    assembly = bearer(agency_key(store, "NA_OFFICE", SUBSCRIBE, Clearance.INTERNAL))
    party = bearer(agency_key(store, "PCC_OFFICE", SUBSCRIBE, Clearance.INTERNAL))
    with open_client(store) as client:
        seen_by_assembly = client.get(FEED, headers=assembly).json()["events"]
        seen_by_party = client.get(FEED, headers=party).json()["events"]

    assert [e["data"]["flow"] for e in seen_by_assembly] == ["MOF-BUDGET"]
    assert seen_by_party == []


def test_a_cursor_older_than_the_feed_keeps_is_told_to_resynchronise(
    store: Store, flow: str
) -> None:
    key = bearer(agency_key(store, "NA_OFFICE", SUBSCRIBE))
    deliver(store, "BUDGET_REVENUE,VN,2025-M03,180500")
    with open_client(store) as client:
        cursor = client.get(FEED, headers=key).json()["next_cursor"]
        deliver(store, "BUDGET_REVENUE,VN,2025-M04,170000")
        with transaction(store.sessions) as session:
            prune_feed(session, now_utc() + timedelta(seconds=1))
        deliver(store, "BUDGET_REVENUE,VN,2025-M05,175000")
        old = client.get(FEED, headers=key, params={"cursor": "0"})
        fresh = client.get(FEED, headers=key, params={"cursor": cursor})
        restart = client.get(FEED, headers=key)

    problem = assert_problem(old, 410, "cursor-expired")
    assert "resynchronise" in problem["detail"]
    assert_problem(fresh, 410, "cursor-expired")
    assert [e["data"]["observations"][0]["period"] for e in restart.json()["events"]] == [
        "2025-M05"
    ]


# --- webhooks -------------------------------------------------------------------------


def standard_webhooks_signature(secret: str, headers: dict[str, str], body: bytes) -> str:
    """The signature computed as the Standard Webhooks specification describes it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_a_subscriber_receives_each_change_signed_per_standard_webhooks(
    store: Store, flow: str
) -> None:
    with Loopback() as subscriber:
        secret = webhook(store, subscriber.url)
        deliver(store, "BUDGET_REVENUE,VN,2025-M03,180500")
        send_due(store)
        [request] = subscriber.wait_for(1)

    assert secret.startswith("whsec_")
    event = json.loads(request.body)
    assert request.headers["webhook-id"] == event["id"]
    assert abs(int(request.headers["webhook-timestamp"]) - now_utc().timestamp()) < 60
    assert request.headers["webhook-signature"] == standard_webhooks_signature(
        secret, request.headers, request.body
    )
    assert request.headers["content-type"] == "application/cloudevents+json"


def test_a_webhook_to_a_private_address_needs_the_allowlist(store: Store, flow: str) -> None:
    key = bearer(agency_key(store, "NA_OFFICE", SUBSCRIBE))
    with open_client(store) as client:
        refused = client.post(
            "/api/v1/exchange/subscriptions", json={"url": "http://127.0.0.1:9/hook"}, headers=key
        )
        client.post("/api/v1/exchange/outbound-addresses", json={"pattern": "127.0.0.0/8"})
        allowed = client.post(
            "/api/v1/exchange/subscriptions", json={"url": "http://127.0.0.1:9/hook"}, headers=key
        )

    problem = assert_problem(refused, 400, "address-refused")
    assert "loopback" in problem["detail"]
    assert allowed.status_code == 201, allowed.text
    assert allowed.json()["secret"].startswith("whsec_")


def test_a_subscriber_down_for_an_hour_gets_the_change_when_it_recovers(
    store: Store, flow: str
) -> None:
    port = free_port()
    webhook(store, f"http://127.0.0.1:{port}/hook")
    deliver(store, "BUDGET_REVENUE,VN,2025-M03,180500")
    started = now_utc()
    send_due(store, now=started)
    for minutes in (1, 6, 40):  # retries at 5 s, 5 min and 30 min find nobody either
        deliver_due(store.sessions, now=started + timedelta(minutes=minutes))
    with store.session() as session:
        waiting = session.scalars(select(WebhookDelivery)).one()
        assert (waiting.status, waiting.attempts) == ("pending", 4)
        assert waiting.next_attempt_at > started + timedelta(hours=1)

    with Loopback(port) as subscriber:
        deliver_due(store.sessions, now=started + timedelta(hours=3))
        received = subscriber.wait_for(1)

    assert cloud_events(received)[0]["data"]["flow"] == "MOF-BUDGET"
    with store.session() as session:
        assert session.scalars(select(WebhookDelivery.status)).one() == "delivered"


def test_a_slow_subscriber_times_out_without_holding_back_another(store: Store, flow: str) -> None:
    with Loopback() as slow, Loopback() as fast:
        slow.answer = lambda request: Answer(delay=3.0)
        webhook(store, slow.url)
        webhook(store, fast.url, consumer="PCC_OFFICE")
        with transaction(store.sessions) as session:
            register_flow(store, consumers=[{"agency": "NA_OFFICE"}, {"agency": "PCC_OFFICE"}])
        deliver(store, "BUDGET_REVENUE,VN,2025-M03,180500")
        with transaction(store.sessions) as session:
            fan_out(session)
        run = deliver_due(store.sessions, timeout=1.0)

        assert fast.wait_for(1)
    assert (run.delivered, run.failed) == (1, 1)
    [failure] = [attempt for attempt in run.attempts if not attempt.ok]
    assert failure.error == "the subscriber did not answer in time"


def test_a_delivery_failing_every_retry_is_dead_listed_and_can_be_replayed(
    store: Store, flow: str
) -> None:
    with Loopback() as subscriber:
        subscriber.answer = lambda request: Answer(status=500)
        webhook(store, subscriber.url)
        deliver(store, "BUDGET_REVENUE,VN,2025-M03,180500")
        moment = now_utc()
        send_due(store, now=moment)
        for wait in RETRY_SCHEDULE:
            moment += wait
            deliver_due(store.sessions, now=moment)
        with open_client(store) as client:
            # This test sends by itself; the server's own sender would race it.
            client.app.state.exchange_jobs.stop()  # type: ignore[attr-defined]
            dead = client.get("/api/v1/exchange/dead-letters").json()["deliveries"]
            subscriber.answer = lambda request: Answer(status=204)
            replayed = client.post(
                "/api/v1/exchange/dead-letters/replay", json={"deliveries": [dead[0]["id"]]}
            )
            deliver_due(store.sessions)

        received = subscriber.wait_for(len(RETRY_SCHEDULE) + 2)

    assert [d["status"] for d in dead] == ["dead"]
    assert dead[0]["attempts"] == len(RETRY_SCHEDULE) + 1
    assert dead[0]["last_error"] == "answered 500"
    assert replayed.json() == {"replayed": 1}
    assert len(received) == len(RETRY_SCHEDULE) + 2
    assert len({request.headers["webhook-id"] for request in received}) == 1


# --- live: stream, webhook and feed carry the same event id ---------------------------


def test_one_change_has_the_same_id_on_the_feed_the_webhook_and_the_stream(
    store: Store, flow: str
) -> None:
    provider = bearer(agency_key(store, "MOF"))
    consumer = bearer(agency_key(store, "NA_OFFICE", SUBSCRIBE))
    leader = bearer(person_token(store, "lanh.dao", role=Role.LEADER, agency="VPCP"))
    with Loopback() as subscriber, served(store) as url:
        webhook(store, subscriber.url)
        with httpx.Client(base_url=url, timeout=10) as client:
            with client.stream("GET", "/api/v1/exchange/stream", headers=leader) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                posted = client.post(
                    "/api/v1/exchange/flows/MOF-BUDGET/deliveries",
                    content=budget_csv("BUDGET_REVENUE,VN,2025-M03,180500"),
                    headers={**provider, **CSV},
                )
                streamed = _first_event(stream.iter_lines())
            feed = client.get(FEED, headers=consumer).json()["events"]
        [hooked] = cloud_events(subscriber.wait_for(1))

    assert posted.status_code == 201, posted.text
    assert streamed["id"] == hooked["id"] == feed[0]["id"]
    assert streamed["data"]["delivery"] == posted.json()["delivery"]


def _first_event(lines: Iterator[str]) -> dict[str, object]:
    for line in lines:
        if line.startswith("data: "):
            event: dict[str, object] = json.loads(line.removeprefix("data: "))
            return event
    raise AssertionError("the stream ended without an event")
