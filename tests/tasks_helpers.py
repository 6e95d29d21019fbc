"""Builders for the tasks tests: people acting for agencies, directives and tasks."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.security import audit
from govops.security.permissions import Clearance, Role, principal_for
from govops.tasks.deadlines import Deadline
from govops.tasks.models import Directive, Task
from govops.tasks.service import NewDirective, NewTask, assign_task, register_directive


def agency(session: Session, code: str) -> int:
    return session.scalars(select(Agency.id).where(Agency.code == code)).one()


def person(session: Session, role: Role, agency_code: str | None = None) -> audit.Actor:
    """Someone acting in ``role``, for the agency of ``agency_code`` when given."""
    agency_id = agency(session, agency_code) if agency_code else None
    name = f"{role.value} {agency_code or ''}".strip()
    principal = principal_for(
        name=name, role=role, clearance=Clearance.PUBLIC, agency_id=agency_id
    )
    return audit.Actor(principal)


def specialist(session: Session) -> audit.Actor:
    """A Government Office specialist, who assigns tasks and decides on them."""
    return person(session, Role.ANALYST, "VPCP")


def officer(session: Session, agency_code: str) -> audit.Actor:
    return person(session, Role.AGENCY_OFFICER, agency_code)


def directive(session: Session, number: str = "25/CT-TTg", **fields: object) -> Directive:
    values: dict[str, object] = {
        "number": number,
        "kind": "chi_thi",
        "issued_on": date(2025, 3, 10),
        "signer": "Phạm Minh Chính",
        "title": "Về nhiệm vụ, giải pháp thúc đẩy tăng trưởng kinh tế",
    }
    values.update(fields)
    return register_directive(session, NewDirective(**values), by=specialist(session))  # type: ignore[arg-type]


def task(
    session: Session,
    lead: str = "MOC",
    *,
    due_on: date | None = date(2025, 6, 30),
    deadline: Deadline | None = None,
    assigned_on: date = date(2025, 3, 10),
    coordinators: tuple[str, ...] = (),
    title: str = "Đẩy nhanh giải ngân vốn đầu tư công các dự án giao thông",
    **fields: object,
) -> Task:
    chosen = deadline or (Deadline.on(due_on) if due_on else Deadline.standing())
    new = NewTask(
        title=title,
        lead_agency_id=agency(session, lead),
        assigned_on=assigned_on,
        deadline=chosen,
        coordinator_ids=[agency(session, code) for code in coordinators],
        **fields,  # type: ignore[arg-type]
    )
    return assign_task(session, new, by=specialist(session))
