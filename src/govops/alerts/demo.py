"""The demo's alerts: a few rules on national series, then one run of every check.

What the checks find follows from the demo's figures and targets, which are the same at
every build, so the warnings are too (their timestamps are the build's).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.progress import Progress
from sqlalchemy.orm import Session

from govops.alerts.service import RuleSpec, check_steps, create_rule, run_checks
from govops.security import audit

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

DEMO_RULES = (
    RuleSpec(
        "sudden_change",
        "Bán lẻ cả nước biến động bất thường",
        "RETAIL_SALES",
        "VN",
        "moderate",
        {"z": 3},
    ),
    RuleSpec(
        "sudden_change", "Xuất khẩu biến động bất thường", "EXPORTS", "VN", "moderate", {"z": 3}
    ),
    RuleSpec(
        "outside_forecast", "CPI ngoài khoảng dự báo 95%", "CPI", "VN", "severe", {"level": 95}
    ),
    RuleSpec(
        "outside_forecast",
        "Bán lẻ ngoài khoảng dự báo 80%",
        "RETAIL_SALES",
        "VN",
        "minor",
        {"level": 80},
    ),
    RuleSpec(
        "threshold",
        "Tỷ lệ hồ sơ đúng hạn dưới 95%",
        "DOSSIERS_ON_TIME_SHARE",
        "VN",
        "moderate",
        {"below": 95},
    ),
)


def build_alerts_demo(session: Session, as_of: datetime, progress: Progress) -> None:
    """Add the demo's rules and the warnings one check of the demo store raises."""
    today = as_of.astimezone(VIETNAM).date()
    for spec in DEMO_RULES:
        create_rule(session, spec, today=today, by=audit.COMMAND_LINE)

    steps = check_steps(session)
    task = progress.add_task("warnings", total=len(steps))
    run_checks(session, today=today, progress=lambda _label: progress.advance(task), steps=steps)
