"""The demo's directives and about 500 tasks over two years, with a believable mix of
statuses: most finished on time, some late, some overdue, the rest under way.

Everything is drawn from a random generator seeded with a constant, and dates count
back from ``as_of``, so the same ``as_of`` always builds the same registry.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.security import audit
from govops.security.permissions import OPERATOR
from govops.tasks.deadlines import Deadline
from govops.tasks.models import Completion, Occurrence, ProgressReport, TaskEvent
from govops.tasks.service import (
    NewDirective,
    NewTask,
    Priority,
    create_task,
    refresh_current,
    register_directive,
)

SEED = 20250310
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
BY = audit.Actor(OPERATOR, client_address="demo")


@dataclass(frozen=True)
class DemoDirective:
    number: str
    kind: str
    days_ago: int
    title: str
    themes: tuple[str, ...]


DIRECTIVES = [
    DemoDirective(
        "01/CT-TTg",
        "chi_thi",
        720,
        "Về tổ chức Tết Nguyên đán, bảo đảm đời sống nhân dân",
        ("tet", "prices", "safety"),
    ),
    DemoDirective(
        "03/CT-TTg", "chi_thi", 690, "Về đẩy mạnh giải ngân vốn đầu tư công", ("investment",)
    ),
    DemoDirective(
        "08/CĐ-TTg", "cong_dien", 650, "Về chủ động ứng phó hạn hán, xâm nhập mặn", ("disaster",)
    ),
    DemoDirective(
        "12/NQ-CP",
        "nghi_quyet",
        620,
        "Phiên họp Chính phủ thường kỳ tháng 2",
        ("economy", "investment", "reform"),
    ),
    DemoDirective("15/CT-TTg", "chi_thi", 580, "Về tăng cường phòng cháy, chữa cháy", ("safety",)),
    DemoDirective(
        "120/TB-VPCP",
        "thong_bao_ket_luan",
        540,
        "Kết luận về phát triển nhà ở xã hội",
        ("housing",),
    ),
    DemoDirective("19/CT-TTg", "chi_thi", 500, "Về bảo đảm cung ứng điện mùa khô", ("energy",)),
    DemoDirective("21/CĐ-TTg", "cong_dien", 460, "Về khắc phục hậu quả bão, lũ", ("disaster",)),
    DemoDirective(
        "25/CT-TTg",
        "chi_thi",
        420,
        "Về nhiệm vụ, giải pháp thúc đẩy tăng trưởng kinh tế",
        ("economy", "investment", "prices"),
    ),
    DemoDirective(
        "31/QĐ-TTg",
        "quyet_dinh",
        380,
        "Kế hoạch cải cách thủ tục hành chính",
        ("reform", "digital"),
    ),
    DemoDirective("33/CT-TTg", "chi_thi", 340, "Về chuyển đổi số và Đề án 06", ("digital",)),
    DemoDirective(
        "205/TB-VPCP",
        "thong_bao_ket_luan",
        300,
        "Kết luận về các dự án giao thông trọng điểm",
        ("transport",),
    ),
    DemoDirective("40/CT-TTg", "chi_thi", 260, "Về phòng, chống dịch bệnh mùa mưa", ("health",)),
    DemoDirective("45/CĐ-TTg", "cong_dien", 220, "Về ứng phó mưa lũ miền Trung", ("disaster",)),
    DemoDirective(
        "52/NQ-CP",
        "nghi_quyet",
        180,
        "Phiên họp Chính phủ thường kỳ tháng 9",
        ("economy", "investment", "reform"),
    ),
    DemoDirective("56/CT-TTg", "chi_thi", 140, "Về xóa nhà tạm, nhà dột nát", ("housing",)),
    DemoDirective(
        "60/CT-TTg",
        "chi_thi",
        100,
        "Về thúc đẩy xuất khẩu, mở rộng thị trường",
        ("trade", "economy"),
    ),
    DemoDirective("64/CĐ-TTg", "cong_dien", 60, "Về bình ổn giá dịp cuối năm", ("prices", "tet")),
    DemoDirective(
        "68/CT-TTg",
        "chi_thi",
        30,
        "Về triển khai kế hoạch năm mới",
        ("economy", "investment", "digital"),
    ),
]
THEMES = {
    "tet": [
        ("MOIT", "Bảo đảm cung ứng hàng hóa thiết yếu dịp Tết"),
        ("MOHA", "Chăm lo Tết cho người có công, hộ nghèo"),
        ("PROVINCE", "Tổ chức thăm hỏi, tặng quà gia đình chính sách dịp Tết"),
    ],
    "prices": [
        ("MOF", "Điều hành giá các mặt hàng Nhà nước quản lý"),
        ("MOIT", "Theo dõi sát diễn biến thị trường xăng dầu"),
        ("PROVINCE", "Kiểm tra, kiểm soát giá cả, thị trường trên địa bàn"),
    ],
    "investment": [
        ("MOF", "Tổng hợp tình hình giải ngân vốn đầu tư công"),
        ("MOC", "Đẩy nhanh giải ngân các dự án giao thông trọng điểm"),
        ("PROVINCE", "Đẩy nhanh giải ngân vốn đầu tư công của địa phương"),
        ("PROVINCE", "Hoàn thành giải phóng mặt bằng các dự án trọng điểm"),
    ],
    "disaster": [
        ("MAE", "Chỉ đạo phòng, chống thiên tai, bảo vệ sản xuất"),
        ("MPS", "Bố trí lực lượng cứu hộ, cứu nạn"),
        ("PROVINCE", "Sơ tán dân khỏi vùng nguy hiểm, khắc phục hậu quả thiên tai"),
    ],
    "safety": [
        ("MPS", "Tổng kiểm tra an toàn phòng cháy, chữa cháy"),
        ("PROVINCE", "Rà soát cơ sở có nguy cơ cháy, nổ cao trên địa bàn"),
    ],
    "housing": [
        ("MOC", "Sửa đổi cơ chế phát triển nhà ở xã hội"),
        ("SBV", "Triển khai gói tín dụng cho vay nhà ở xã hội"),
        ("PROVINCE", "Hoàn thành xóa nhà tạm, nhà dột nát trên địa bàn"),
    ],
    "energy": [
        ("MOIT", "Cân đối cung cầu điện mùa khô"),
        ("EVN", "Bảo đảm vận hành an toàn hệ thống điện"),
        ("PVN", "Bảo đảm cung ứng khí, than cho phát điện"),
    ],
    "economy": [
        ("MOF", "Báo cáo tình hình kinh tế - xã hội"),
        ("SBV", "Điều hành chính sách tiền tệ linh hoạt"),
        ("NSO", "Cung cấp số liệu thống kê phục vụ điều hành"),
    ],
    "reform": [
        ("MOHA", "Sắp xếp tổ chức bộ máy tinh gọn"),
        ("MOF", "Cắt giảm điều kiện kinh doanh"),
        ("PROVINCE", "Cắt giảm thời gian giải quyết thủ tục hành chính"),
    ],
    "digital": [
        ("MOST", "Xây dựng cơ sở dữ liệu quốc gia"),
        ("MPS", "Triển khai Đề án 06 về dữ liệu dân cư"),
        ("PROVINCE", "Cung cấp dịch vụ công trực tuyến toàn trình"),
    ],
    "transport": [
        ("MOC", "Hoàn thành các dự án đường bộ cao tốc"),
        ("PROVINCE", "Bàn giao mặt bằng dự án đường cao tốc"),
    ],
    "health": [
        ("MOH", "Chủ động phòng, chống dịch sốt xuất huyết"),
        ("PROVINCE", "Tổ chức tiêm chủng mở rộng trên địa bàn"),
    ],
    "trade": [
        ("MOIT", "Mở rộng thị trường xuất khẩu nông sản"),
        ("MAE", "Bảo đảm truy xuất nguồn gốc nông sản xuất khẩu"),
    ],
}
TASKS_PER_DIRECTIVE = 26


def build_tasks_demo(session: Session, as_of: datetime, progress: Progress) -> None:
    """Add the demo's tasks to a store that holds the demo figures."""
    generator = random.Random(SEED)
    today = as_of.astimezone(ZONE).date()
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    provinces = sorted(code for code, a in agencies.items() if a.kind == "province")
    step = progress.add_task("tasks", total=len(DIRECTIVES))
    for plan in DIRECTIVES:
        issued = today - timedelta(days=plan.days_ago)
        directive = register_directive(
            session,
            NewDirective(plan.number, plan.kind, issued, "Thủ tướng Chính phủ", plan.title),
            by=BY,
        )
        for position in range(1, TASKS_PER_DIRECTIVE + 1):
            theme = plan.themes[generator.randrange(len(plan.themes))]
            lead_kind, title = THEMES[theme][generator.randrange(len(THEMES[theme]))]
            lead = lead_kind if lead_kind != "PROVINCE" else generator.choice(provinces)
            _one_task(
                session,
                generator,
                agencies,
                directive.id,
                str(position),
                lead,
                title,
                issued,
                today,
            )
        session.flush()
        progress.advance(step)


def _one_task(
    session: Session,
    generator: random.Random,
    agencies: dict[str, Agency],
    directive_id: int,
    position: str,
    lead: str,
    title: str,
    issued: date,
    today: date,
) -> None:
    coordinators = [
        agencies[code].id
        for code in generator.sample(["MOF", "MOC", "MOIT", "MPS", "MAE", "SBV"], k=2)
        if code != lead and generator.random() < 0.6
    ]
    draw = generator.random()
    if draw < 0.06:
        deadline = Deadline.monthly(20, issued + timedelta(days=365))
    elif draw < 0.09:
        deadline = Deadline.standing()
    else:
        deadline = Deadline.on(
            issued + timedelta(days=generator.choice([15, 30, 45, 60, 90, 120, 180, 270]))
        )
    new = NewTask(
        title=title,
        lead_agency_id=agencies[lead].id,
        assigned_on=issued,
        deadline=deadline,
        directive_id=directive_id,
        position=position,
        coordinator_ids=coordinators,
        priority=generator.choice([Priority.HIGH, Priority.NORMAL, Priority.NORMAL, Priority.LOW]),
        source="demo",
    )
    task = create_task(session, new, by=BY, audit_each=False)
    for occurrence in task.occurrences:
        _live(session, generator, task.id, task.lead_agency_id, occurrence, issued, today)
    refresh_current(task)


def _live(
    session: Session,
    generator: random.Random,
    task_id: int,
    agency_id: int,
    occurrence: Occurrence,
    issued: date,
    today: date,
) -> None:
    """What happened to a deliverable up to ``today``: reports, and perhaps completion."""
    due = occurrence.due_on
    if due is None:
        occurrence.started = generator.random() < 0.8
        return
    if occurrence.period:
        # A month of a recurring duty starts its work about when the month does.
        issued = max(issued, due - timedelta(days=25))
    if issued > today:
        return
    span = max((due - issued).days, 1)
    outcome = generator.random()
    if due < today:
        # Most deliverables that fell due were done in time; some late; some not yet.
        if outcome < 0.72:
            done = issued + timedelta(days=generator.randint(span // 2, span))
        elif outcome < 0.88:
            done = due + timedelta(days=generator.randint(1, 40))
        else:
            done = None
    else:
        done = None if outcome > 0.15 else issued + timedelta(days=generator.randint(0, span))
    if done is not None and done > today:
        done = None
    started = done is not None or ((today - issued).days > 5 and generator.random() < 0.75)
    if started:
        _report(session, generator, task_id, agency_id, occurrence, issued, done or today)
    if done is not None:
        _complete(session, task_id, agency_id, occurrence, done)


def _report(
    session: Session,
    generator: random.Random,
    task_id: int,
    agency_id: int,
    occurrence: Occurrence,
    issued: date,
    until: date,
) -> None:
    day = issued + timedelta(days=max(0, (until - issued).days // 2))
    percent = generator.choice([20, 30, 40, 50, 60, 70, 80])
    text = f"Đã triển khai, ước đạt {percent}% khối lượng công việc."
    at = _noon(day)
    session.add(
        ProgressReport(
            task_id=task_id,
            occurrence_id=occurrence.id,
            agency_id=agency_id,
            author="cán bộ đầu mối",
            text=text,
            percent=percent,
            submitted_at=at,
        )
    )
    session.add(
        _event(task_id, occurrence.id, at, "progress_reported", {"percent": percent, "text": text})
    )
    occurrence.started = True
    occurrence.percent = percent


def _complete(
    session: Session, task_id: int, agency_id: int, occurrence: Occurrence, done: date
) -> None:
    at = _noon(done)
    session.add(
        Completion(
            task_id=task_id,
            occurrence_id=occurrence.id,
            agency_id=agency_id,
            submitted_by="cán bộ đầu mối",
            submitted_at=at,
            completed_on=done,
            evidence="Báo cáo kết quả thực hiện nhiệm vụ",
            state="accepted",
            decided_by="Văn phòng Chính phủ",
            decided_at=at + timedelta(days=2),
        )
    )
    session.add(
        _event(
            task_id,
            occurrence.id,
            at + timedelta(days=2),
            "completion_accepted",
            {"completed_on": done.isoformat()},
        )
    )
    occurrence.completed_on = done
    occurrence.percent = 100


def _event(
    task_id: int, occurrence_id: int, at: datetime, kind: str, details: dict[str, object]
) -> TaskEvent:
    return TaskEvent(
        task_id=task_id,
        occurrence_id=occurrence_id,
        at=at,
        kind=kind,
        actor_name="demo",
        actor_agency_id=None,
        details=json.dumps(details),
    )


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZONE).astimezone(UTC)
