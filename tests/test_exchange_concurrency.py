"""Deliveries stored at the same time: both whole, none lost on its way to subscribers."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from conftest import Store
from govops.catalog.models import Agency
from govops.core.db import transaction
from govops.datastore.models import Observation, OutboxEvent
from govops.exchange import events, inbound, webhooks
from govops.exchange.addresses import allow_address
from govops.exchange.models import Inbound, WebhookDelivery
from test_exchange_support import budget_csv, register_flow

MONTHS = [f"{year}-M{month:02d}" for year in (2024, 2025) for month in range(1, 13)]
ROUNDS = 6


def delivery(round_number: int, sender: int, *, backwards: bool) -> bytes:
    """Both indicators for 24 months; one sender writes the series in the other order."""
    lines = [
        f"{indicator},VN,{month},{1000 + 10 * round_number + sender}"
        for month in MONTHS
        for indicator in ("BUDGET_REVENUE", "BUDGET_SPENDING")
    ]
    return budget_csv(*(reversed(lines) if backwards else lines))


def subscriber(store: Store) -> int:
    with transaction(store.sessions) as session:
        allow_address(session, "127.0.0.1")
        consumer = session.scalars(select(Agency.id).where(Agency.code == "NA_OFFICE")).one()
        made = webhooks.subscribe(
            session, consumer_agency_id=consumer, url="http://127.0.0.1:9/hook", flows=[]
        )
        return made.subscription.id


def test_two_providers_pushing_the_same_series_at_once_are_both_stored_whole(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    flow = register_flow(store)
    subscription = subscriber(store)
    start = threading.Barrier(3)
    failures: list[BaseException] = []
    done = threading.Event()

    def push(sender: int) -> None:
        try:
            start.wait()
            for number in range(ROUNDS):
                body = delivery(number, sender, backwards=sender == 1)
                received = inbound.receive(store.sessions, flow, body, "csv", sender=None)
                inbound.process(store.sessions, received.inbound_id)
        except BaseException as error:  # the test reports it, the thread must not
            failures.append(error)

    def fan_out_meanwhile() -> None:
        # The webhook job reads events while deliveries commit, as in the server.
        start.wait()
        while not done.is_set():
            with transaction(store.sessions) as session:
                webhooks.fan_out(session)

    pushers = [threading.Thread(target=push, args=(sender,)) for sender in (0, 1)]
    reader = threading.Thread(target=fan_out_meanwhile)
    for thread in [*pushers, reader]:
        thread.start()
    for thread in pushers:
        thread.join(120)
    done.set()
    reader.join(30)
    with transaction(store.sessions) as session:
        webhooks.fan_out(session)

    assert failures == []
    # Each delivery went through once: none was chosen as a deadlock's victim and redone.
    assert [r.message for r in caplog.records if "processing it again" in r.message] == []
    with store.session() as session:
        statuses = list(session.scalars(select(Inbound.status)))
        stored = session.scalar(select(func.count()).select_from(Observation))
        owed = session.scalar(
            select(func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription)
        )
    assert statuses == ["accepted"] * 2 * ROUNDS
    # Every delivery wrote each of the 48 points (each value differs from the last).
    assert stored == 48 * 2 * ROUNDS
    # One webhook owed per stored delivery: the reader never skipped an event.
    assert owed == 2 * ROUNDS


def test_an_exchange_event_written_first_is_never_overtaken_by_a_later_one(
    store: Store,
) -> None:
    first = store.sessions()
    first.begin()
    events.announce_in_order(first, inbound.DELIVERY_EVENT, "flow/A", {"flow": "A"})
    first.flush()
    finished = threading.Event()

    def second_writer() -> None:
        with transaction(store.sessions) as session:
            events.announce_in_order(session, inbound.DELIVERY_EVENT, "flow/B", {"flow": "B"})
        finished.set()

    writer = threading.Thread(target=second_writer)
    writer.start()
    time.sleep(0.5)
    waited = not finished.is_set()
    with store.session() as session:
        seen_meanwhile = events.events_after(session, 0, 10)
    first.commit()
    first.close()
    writer.join(30)

    assert waited, "the later event committed while the earlier one was still open"
    assert seen_meanwhile == []
    with store.session() as session:
        subjects = [e.subject for e in session.scalars(select(OutboxEvent).order_by("id"))]
    assert subjects == ["flow/A", "flow/B"]
