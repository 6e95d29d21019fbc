"""The scheduler: jobs run in the server and in workers, never twice at once."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import select

from conftest import Store
from govops.core.db import create_db_engine, now_utc, session_factory, transaction
from govops.exchange.addresses import allow_address
from govops.exchange.inbound import receive
from govops.exchange.models import Inbound, JobLease, JobRun
from govops.exchange.scheduler import Job, Scheduler, acquire, reclaim_dead_leases
from test_exchange_support import Loopback, budget_csv, register_flow, served


def test_two_workers_never_run_the_same_job_at_once(store: Store) -> None:
    spans: list[tuple[float, float, str]] = []
    lock = threading.Lock()

    def slow_job(holder: str) -> Job:
        def run(sessions: object, now: datetime) -> str:
            started = time.monotonic()
            time.sleep(0.2)
            with lock:
                spans.append((started, time.monotonic(), holder))
            return "done"

        return Job("test.slow", timedelta(0), lambda session: True, run)

    def work(name: str) -> None:
        # A worker of its own: its own engine and connections, as a second process has.
        engine = create_db_engine(store.url)
        scheduler = Scheduler(session_factory(engine), name=name, record_runs=True)
        scheduler.jobs = (slow_job(scheduler.holder),)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            scheduler.run_once(urgent=frozenset({"test.slow"}))
        engine.dispose()

    workers = [threading.Thread(target=work, args=(name,)) for name in ("first", "second")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    spans.sort()
    assert len(spans) >= 5
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        assert start >= end, "two workers ran the job at the same time"
    with store.session() as session:
        runs = session.scalars(select(JobRun).where(JobRun.name == "test.slow")).all()
    assert len(runs) == len(spans)


def test_the_server_finishes_a_pending_delivery_and_sends_its_webhook_by_itself(
    store: Store,
) -> None:
    from govops.exchange.webhooks import subscribe
    from test_exchange_outbound import agency

    register_flow(store)
    received = receive(
        store.sessions,
        "MOF-BUDGET",
        budget_csv("BUDGET_REVENUE,VN,2025-M03,1"),
        "csv",
        sender=None,
    )
    with Loopback() as subscriber:
        with transaction(store.sessions) as session:
            allow_address(session, "127.0.0.1")
            subscribe(
                session,
                consumer_agency_id=agency(store, "NA_OFFICE"),
                url=subscriber.url,
                flows=[],
            )
        with served(store):
            hooks = subscriber.wait_for(1, timeout=20)

    with store.session() as session:
        assert session.get(Inbound, received.inbound_id).status == "accepted"  # type: ignore[union-attr]
    assert len(hooks) == 1


def test_a_lease_of_a_killed_server_is_freed_when_a_server_starts(store: Store) -> None:
    host = socket.gethostname()
    dead_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_pid.wait()
    holders = {
        "test.dead": f"server@{host}:{dead_pid.pid}:a1b2c3",
        "test.alive": f"server@{host}:{os.getpid()}:d4e5f6",
        "test.elsewhere": f"worker@another-host:{dead_pid.pid}:0a0b0c",
    }
    later = now_utc() + timedelta(minutes=5)
    with transaction(store.sessions) as session:
        for name, holder in holders.items():
            session.add(JobLease(name=name, holder=holder, expires_at=later))

    freed = reclaim_dead_leases(store.sessions)

    assert freed == ["test.dead"]
    with store.session() as session:
        kept = {lease.name: lease.holder for lease in session.scalars(select(JobLease))}
    assert kept == {**holders, "test.dead": None}
    job = Job("test.dead", timedelta(0), lambda session: True, lambda s, n: "done")
    assert acquire(store.sessions, job, "server@here:1:x", now_utc(), due=False)
