"""Tables of the exchange hub: members, flows, access rules, deliveries in and out, jobs.

Lists carried by a flow (indicators, dimensions, systems, rules) are kept as JSON text:
they are read and written whole with their flow, never queried on their own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govops.core.db import Base, UTCDateTime


class ExchangeMember(Base):
    """An agency taking part in the exchange, with the systems it connects."""

    __tablename__ = "exchange_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), unique=True)
    # JSON list of {"code", "name"}: the agency's systems (subsystems of the member).
    systems: Mapped[str] = mapped_column(Text, default="[]")
    contact: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExchangeFlow(Base):
    """An agreement with a provider: what it delivers, when, how, and who receives it."""

    __tablename__ = "exchange_flow"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    provider_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    provider_system: Mapped[str | None] = mapped_column(String(60))
    # in: the provider delivers to govops; out: govops delivers; both: each way.
    direction: Mapped[str] = mapped_column(String(10))
    indicators: Mapped[str] = mapped_column(Text, default="[]")
    dimensions: Mapped[str] = mapped_column(Text, default="[]")
    # How often the provider delivers: a frequency code (D, W, M, Q, A) or minutes ("15m").
    schedule: Mapped[str] = mapped_column(String(40))
    freshness_minutes: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(String(10))
    format: Mapped[str] = mapped_column(String(10))
    validation_mode: Mapped[str] = mapped_column(String(10))
    classification: Mapped[str] = mapped_column(String(20))
    # JSON object: ranges, sum_to_national, jump_warning (see govops.exchange.rules).
    rules: Mapped[str] = mapped_column(Text, default="{}")
    # For pull flows: where and how to fetch, and what the last fetch learnt.
    pull_url: Mapped[str | None] = mapped_column(String(1000))
    pull_secret_header: Mapped[str | None] = mapped_column(String(1000))
    pull_etag: Mapped[str | None] = mapped_column(String(300))
    pull_last_modified: Mapped[str | None] = mapped_column(String(100))
    pull_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pull_failures: Mapped[int] = mapped_column(Integer, default=0)
    pull_open_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pull_last_error: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessRule(Base):
    """A consumer's right to receive a flow, up to a classification."""

    __tablename__ = "exchange_access_rule"
    __table_args__ = (
        Index("uq_exchange_access_rule_flow", "flow_id", "consumer_agency_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("exchange_flow.id", ondelete="CASCADE"))
    consumer_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    max_classification: Mapped[str] = mapped_column(String(20))


class Inbound(Base):
    """One delivery into a flow, from the moment its payload is kept to its receipt.

    It is written ``pending`` with its raw payload before anything is checked; processing
    happens in one transaction that either stores the rows and the receipt or changes
    nothing, so after a crash the delivery is found pending and processed again.
    """

    __tablename__ = "exchange_inbound"
    __table_args__ = (
        Index("uq_exchange_inbound_idempotency", "flow_id", "idempotency_key", unique=True),
        Index("ix_exchange_inbound_flow_received", "flow_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("exchange_flow.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    key_id: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    transport: Mapped[str] = mapped_column(String(10))
    payload_digest: Mapped[str] = mapped_column(String(80), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    payload_size: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending, accepted (every row), partial (lenient, some refused), rejected, failed.
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted_count: Mapped[int] = mapped_column(BigInteger, default=0)
    refused_count: Mapped[int] = mapped_column(BigInteger, default=0)
    warning_count: Mapped[int] = mapped_column(BigInteger, default=0)
    receipt: Mapped[str | None] = mapped_column(Text)


class PayloadPiece(Base):
    """One piece of a large delivery's payload, kept exactly as received.

    A CSV delivery above the bulk size is kept in pieces rather than as one raw payload,
    so neither the server nor the database client ever holds the whole file in memory.
    Together the pieces are the payload whose SHA-256 is ``digest``.
    """

    __tablename__ = "exchange_payload_piece"

    digest: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Subscription(Base):
    """A consumer's webhook: where govops posts each change of the flows it may receive."""

    __tablename__ = "exchange_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    url: Mapped[str] = mapped_column(String(1000))
    # The signing secret, "whsec_" and base64; shown to the consumer once.
    secret: Mapped[str] = mapped_column(String(200))
    # JSON list of flow codes; empty means every flow the consumer may receive.
    flows: Mapped[str] = mapped_column(Text, default="[]")
    # The last outbox event considered for this subscription.
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event owed to one subscription, with its attempts; dead after the schedule."""

    __tablename__ = "exchange_webhook_delivery"
    __table_args__ = (
        Index("uq_exchange_webhook_delivery_event", "subscription_id", "event_id", unique=True),
        Index("ix_exchange_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(BigInteger)
    # pending, delivered, dead.
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboundAddress(Base):
    """An address an administrator allows outbound calls to reach though it is private."""

    __tablename__ = "exchange_outbound_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A host name, an IP address or a network in CIDR notation.
    pattern: Mapped[str] = mapped_column(String(300), unique=True)
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlowHealthCheck(Base):
    """A flow's state as seen by one health check; the history of the flows page."""

    __tablename__ = "exchange_flow_health"
    __table_args__ = (Index("ix_exchange_flow_health_flow", "flow_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("exchange_flow.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20))
    lag_minutes: Mapped[int | None] = mapped_column(Integer)


class JobLease(Base):
    """Who runs a job now: a worker holds the row until ``expires_at`` or until it ends."""

    __tablename__ = "exchange_job_lease"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class JobRun(Base):
    """One run of a scheduled job, for operators to see what ran where."""

    __tablename__ = "exchange_job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    holder: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(Text)


__all__ = [
    "AccessRule",
    "ExchangeFlow",
    "ExchangeMember",
    "FlowHealthCheck",
    "Inbound",
    "JobLease",
    "JobRun",
    "OutboundAddress",
    "PayloadPiece",
    "Subscription",
    "WebhookDelivery",
]
