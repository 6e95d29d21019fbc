"""Tables of alerts: rules, warnings with their evidence, notification channels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govops.core.db import Base, UTCDateTime


class AlertRule(Base):
    """A configured check: a threshold, a sudden change or a forecast band on one series.

    Targets at risk and late data need no rule of their own: every target and every
    indicator is checked. ``params`` is JSON whose fields depend on ``kind``.
    """

    __tablename__ = "alert_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    params: Mapped[str] = mapped_column(Text, default="{}")
    severity: Mapped[str] = mapped_column(String(10))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EarlyWarning(Base):
    """A finding that needs attention (cảnh báo), with the numbers that raised it.

    ``cause`` names what the warning is about (kind, subject, period); ``open_cause`` holds
    the same text while the warning is not closed and is unique, so the database itself
    keeps one open warning per cause. Closed warnings keep NULL there, which unique
    indexes on both databases allow any number of.
    """

    __tablename__ = "early_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    cause: Mapped[str] = mapped_column(String(300), index=True)
    open_cause: Mapped[str | None] = mapped_column(String(300), unique=True)
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    title_vi: Mapped[str] = mapped_column(String(400))
    title_en: Mapped[str] = mapped_column(String(400))
    evidence: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rule.id"))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("target.id"))
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    period_code: Mapped[str | None] = mapped_column(String(40))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)
    # The task the warning became; tasks live in their own package, referred to by id.
    task_id: Mapped[int | None] = mapped_column(Integer)


class NotificationChannel(Base):
    """Where new warnings are sent: an e-mail address or a webhook URL."""

    __tablename__ = "notification_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(500))
    min_severity: Mapped[str] = mapped_column(String(10))
    # Webhook bodies are signed with HMAC-SHA256 of this secret when it is set.
    secret: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class NotificationAttempt(Base):
    """One try at telling a channel about a warning, delivered or not, and why."""

    __tablename__ = "notification_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("early_warning.id"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notification_channel.id"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str] = mapped_column(Text)


__all__ = ["AlertRule", "EarlyWarning", "NotificationAttempt", "NotificationChannel"]
