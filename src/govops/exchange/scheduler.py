"""The exchange's scheduled jobs, run inside the server or by `govops worker`.

Jobs: finish deliveries left pending, send webhooks, pull from agencies, check flow
health. Each run of a job holds a lease row: a conditional ``UPDATE`` that succeeds for
one worker only (atomic on PostgreSQL and SQLite alike), so a job never runs twice at
once however many servers and workers run. A lease expires, so a worker killed while
holding one delays that job by the lease's length, no more.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from govops.core.db import now_utc, transaction
from govops.exchange import health, inbound, webhooks
from govops.exchange.events import Audience
from govops.exchange.models import (
    ExchangeFlow,
    Inbound,
    JobLease,
    JobRun,
    Subscription,
    WebhookDelivery,
)

log = logging.getLogger(__name__)

Sessions = sessionmaker[Session]
# Deliveries pending longer than this are taken to be orphans of a crashed process.
RECOVERY_GRACE = timedelta(minutes=2)
WEBHOOK_ROUNDS = 50
SEND_NOW = frozenset({"webhooks.send"})
# When another process holds the sending job as a change is stored, it is tried again this
# often, this many times, before the next regular tick.
SEND_RETRY_SECONDS = 0.05
SEND_RETRIES = 20


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    # Whether there may be anything to do: read-only, so idle stores see no writes.
    has_work: Callable[[Session], bool]
    run: Callable[[Sessions, datetime], str]
    lease: timedelta = timedelta(minutes=5)


def _any(session: Session, query: Any) -> bool:
    return bool(session.scalar(select(exists(query))))


def _recover(sessions: Sessions, now: datetime) -> str:
    finished = inbound.recover_pending(sessions, older_than=RECOVERY_GRACE, now=now)
    return f"{finished} pending deliveries finished"


def _webhooks(sessions: Sessions, now: datetime) -> str:
    # Changes stored while a round is sent are sent in the next round of the same run, so
    # a burst of deliveries does not wait for the lease to be taken again.
    owed_total = delivered = failed = dead = 0
    audiences: dict[int, Audience] = {}
    for _ in range(WEBHOOK_ROUNDS):
        with transaction(sessions) as session:
            owed = webhooks.fan_out(session, audiences=audiences)
        run = webhooks.deliver_due(sessions)
        owed_total += owed
        delivered, failed, dead = delivered + run.delivered, failed + run.failed, dead + run.dead
        if owed == 0 and not run.attempts:
            break
    return f"{owed_total} owed, {delivered} delivered, {failed} failed, {dead} dead"


def _pulls(sessions: Sessions, now: datetime) -> str:
    from govops.exchange import pull

    results = pull.run_due_pulls(sessions, now=now)
    return f"{len(results)} pulls: " + ", ".join(f"{r.flow} {r.outcome}" for r in results)


def _health(sessions: Sessions, now: datetime) -> str:
    with transaction(sessions) as session:
        worsened = health.record_health(session, now=now)
    return f"{len(worsened)} flows worsened"


JOBS = (
    Job(
        "deliveries.recover",
        timedelta(seconds=30),
        lambda s: _any(s, select(Inbound.id).where(Inbound.status == "pending")),
        _recover,
        lease=timedelta(hours=1),
    ),
    Job(
        "webhooks.send",
        timedelta(seconds=1),
        lambda s: (
            _any(s, select(Subscription.id).where(Subscription.active))
            or _any(s, select(WebhookDelivery.id).where(WebhookDelivery.status == "pending"))
        ),
        _webhooks,
    ),
    Job(
        "pulls.run",
        timedelta(seconds=5),
        lambda s: _any(
            s,
            select(ExchangeFlow.id).where(ExchangeFlow.transport == "pull", ExchangeFlow.active),
        ),
        _pulls,
    ),
    Job(
        "health.check",
        timedelta(seconds=60),
        lambda s: _any(s, select(ExchangeFlow.id)),
        _health,
    ),
)


def acquire(sessions: Sessions, job: Job, holder: str, now: datetime, *, due: bool) -> bool:
    """Take the job's lease if it is free (or expired) and, with ``due``, if the job's
    interval has passed since it last finished; True when this holder has it."""
    condition = [
        JobLease.name == job.name,
        or_(JobLease.holder.is_(None), JobLease.expires_at < now),
    ]
    if due:
        condition.append(
            or_(
                JobLease.last_finished_at.is_(None),
                JobLease.last_finished_at <= now - job.every,
            )
        )
    take = (
        update(JobLease)
        .where(*condition)
        .values(holder=holder, expires_at=now + job.lease, last_started_at=now)
    )
    with transaction(sessions) as session:
        # The lease row exists but at a job's very first run: try to take it first.
        if session.execute(take).rowcount == 1:  # type: ignore[attr-defined]
            return True
        if session.get(JobLease, job.name) is not None:
            return False
        try:
            with session.begin_nested():
                session.add(JobLease(name=job.name))
        except IntegrityError:
            pass  # another worker made the row first
        return bool(session.execute(take).rowcount == 1)  # type: ignore[attr-defined]


DEAD_HOLDER = "its holder ended without releasing it"


def reclaim_dead_leases(sessions: Sessions, *, now: datetime | None = None) -> list[str]:
    """Free the leases held by processes of this host that no longer run.

    A server killed in the middle of a job keeps its lease until it expires; the server
    started in its place would otherwise wait that long (minutes) to send webhooks again.
    Holders on other hosts, or whose process still runs, keep their leases.
    """
    now = now or now_utc()
    host = socket.gethostname()
    freed = []
    with transaction(sessions) as session:
        held = session.execute(
            select(JobLease.name, JobLease.holder).where(
                JobLease.holder.is_not(None), JobLease.expires_at > now
            )
        ).all()
        for name, holder in held:
            pid = _local_pid(holder or "", host)
            if pid is None or _running(pid):
                continue
            session.execute(
                update(JobLease)
                .where(JobLease.name == name, JobLease.holder == holder)
                .values(holder=None, expires_at=None, last_error=DEAD_HOLDER)
            )
            freed.append(name)
    for name in freed:
        log.warning("job %s: lease freed, %s", name, DEAD_HOLDER)
    return freed


def _local_pid(holder: str, host: str) -> int | None:
    """The process id in a holder named ``role@host:pid:tag``, if the host is this one."""
    _, _, place = holder.partition("@")
    parts = place.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return None
    return int(parts[1])


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # a process of another user
    return True


def release(sessions: Sessions, job: Job, holder: str, error: str | None) -> None:
    with transaction(sessions) as session:
        session.execute(
            update(JobLease)
            .where(JobLease.name == job.name, JobLease.holder == holder)
            .values(holder=None, expires_at=None, last_finished_at=now_utc(), last_error=error)
        )


class Scheduler:
    """Runs the jobs that are due, in one thread, until stopped."""

    def __init__(
        self,
        sessions: Sessions,
        *,
        name: str = "server",
        jobs: tuple[Job, ...] = JOBS,
        tick_seconds: float = 1.0,
        record_runs: bool = False,
    ) -> None:
        self.sessions = sessions
        self.holder = f"{name}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.jobs = jobs
        self.tick_seconds = tick_seconds
        self.record_runs = record_runs
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._unlisten: Callable[[], None] | None = None
        # When the loop last looked at each job (time.monotonic()).
        self._looked_at: dict[str, float] = {}

    def run_once(
        self,
        *,
        now: datetime | None = None,
        urgent: frozenset[str] = frozenset(),
        only: frozenset[str] = frozenset(),
    ) -> list[str]:
        """Run each job (of ``only``, if given) that has work, is due (or urgent) and whose
        lease is free."""
        ran = []
        for job in self.jobs:
            if self._stop.is_set():
                break
            if only and job.name not in only:
                continue
            if self._run_job(job, now or now_utc(), due=job.name not in urgent):
                ran.append(job.name)
        return ran

    def _run_job(self, job: Job, now: datetime, *, due: bool) -> bool:
        try:
            # An urgent job was woken because there is work: no need to look.
            if due:
                with self.sessions() as session:
                    if not job.has_work(session):
                        return False
            if not acquire(self.sessions, job, self.holder, now, due=due):
                return False
        except Exception:
            log.exception("job %s could not be started", job.name)
            return False
        error = None
        started = now_utc()
        try:
            outcome = job.run(self.sessions, now)
            log.info("job %s: %s", job.name, outcome, extra={"job": job.name})
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"
            outcome = "failed: " + error
            log.exception("job %s failed", job.name, extra={"job": job.name})
        finally:
            self._finish(job, error, started, outcome if error is None else error)
        return True

    def _finish(self, job: Job, error: str | None, started: datetime, outcome: str) -> None:
        try:
            release(self.sessions, job, self.holder, error)
            if self.record_runs:
                with transaction(self.sessions) as session:
                    session.add(
                        JobRun(
                            name=job.name,
                            holder=self.holder,
                            started_at=started,
                            finished_at=now_utc(),
                            outcome=outcome[:2000],
                        )
                    )
        except Exception:
            log.exception("job %s could not be released; its lease will expire", job.name)

    def wake(self) -> None:
        """Send webhooks now rather than at the next tick (a delivery was just stored)."""
        self._wake.set()

    def start(self) -> None:
        self._unlisten = inbound.on_stored(self.wake)
        self._thread = threading.Thread(target=self._loop, name="exchange-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        # At start, jobs and deliveries left by a crashed process need no grace period.
        try:
            reclaim_dead_leases(self.sessions)
        except Exception:
            log.exception("leases of ended processes could not be freed")
        try:
            inbound.recover_pending(self.sessions, older_than=timedelta(0))
        except Exception:
            log.exception("pending deliveries could not be recovered at start")
        # Tries left at sending a woken change whose job another process was running: it
        # may have finished its last round just before the change was stored.
        send_again = 0
        last_round = time.monotonic()
        while not self._stop.is_set():
            woken = self._wake.wait(SEND_RETRY_SECONDS if send_again else self.tick_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            if woken or send_again:
                # A delivery was just stored: send it before anything else is looked at.
                sent = bool(self.run_once(urgent=SEND_NOW, only=SEND_NOW))
                send_again = 0 if sent else SEND_RETRIES if woken else send_again - 1
            if time.monotonic() - last_round >= self.tick_seconds:
                # Even while deliveries keep arriving, the other jobs run when due.
                last_round = time.monotonic()
                due_here = self._due_here(last_round)
                if due_here:
                    self.run_once(only=due_here)

    def _due_here(self, now: float) -> frozenset[str]:
        """The jobs this loop has not looked at for their interval.

        A job runs at most once an interval anyway; looking for its work at every tick
        would cost the database a few queries a second for nothing (a health check is
        due once a minute), and take turns from the requests the server is answering.
        """
        # A tick early: a job is due an interval after it last finished, not started.
        due = frozenset(
            job.name
            for job in self.jobs
            if now - self._looked_at.get(job.name, -math.inf)
            >= job.every.total_seconds() - self.tick_seconds
        )
        self._looked_at.update(dict.fromkeys(due, now))
        return due

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._unlisten is not None:
            self._unlisten()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_forever(self) -> None:
        """For `govops worker`: run in this thread until interrupted."""
        self._unlisten = inbound.on_stored(self.wake)
        self._loop()


@asynccontextmanager
async def embedded_scheduler(app: Any) -> AsyncIterator[None]:
    """The application's lifespan: the exchange's jobs run inside the server.

    ``app.state.exchange_scheduler = False`` before start-up leaves them to workers.
    """
    scheduler: Scheduler | None = None
    if getattr(app.state, "exchange_scheduler", True):
        scheduler = Scheduler(app.state.sessions, name="server")
        scheduler.start()
    app.state.exchange_jobs = scheduler
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.stop()


def run_worker(sessions: Sessions, *, tick_seconds: float = 1.0) -> None:
    """Run the jobs in this process until SIGTERM or Ctrl-C; the current job finishes."""
    import contextlib
    import signal

    scheduler = Scheduler(sessions, name="worker", tick_seconds=tick_seconds, record_runs=True)

    def _stop(signum: int, frame: object) -> None:
        scheduler._stop.set()
        scheduler._wake.set()

    signal.signal(signal.SIGTERM, _stop)
    log.info("exchange worker %s started", scheduler.holder)
    with contextlib.suppress(KeyboardInterrupt):
        scheduler.run_forever()
    log.info("exchange worker %s stopped", scheduler.holder)
