"""Who sees and who may act on a task.

Agency officers and agencies' systems see the tasks their agency leads or co-ordinates;
leaders, the Government Office's specialists and administrators see every task.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, select, true

from govops.security.errors import PermissionDenied
from govops.security.permissions import Permission, Principal, Role, Scope, has_permission
from govops.tasks.models import Task, TaskCoordinator

SEES_EVERY_TASK = frozenset({Role.ADMINISTRATOR, Role.LEADER, Role.ANALYST})


def sees_every_task(principal: Principal) -> bool:
    return principal.scope is Scope.EVERY_AGENCY or principal.role in SEES_EVERY_TASK


def visible_condition(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause keeping the tasks the principal may see."""
    if sees_every_task(principal):
        return true()
    if principal.agency_id is None:
        return false()
    coordinates = exists(
        select(TaskCoordinator.task_id).where(
            (TaskCoordinator.task_id == Task.id)
            & (TaskCoordinator.agency_id == principal.agency_id)
        )
    )
    return (Task.lead_agency_id == principal.agency_id) | coordinates


def can_see(principal: Principal, task: Task) -> bool:
    if sees_every_task(principal):
        return True
    return principal.agency_id is not None and principal.agency_id in involved_agencies(task)


def involved_agencies(task: Task) -> set[int]:
    return {task.lead_agency_id, *(c.agency_id for c in task.coordinators)}


def check_assigner(principal: Principal) -> None:
    if not has_permission(principal, Permission.TASKS_ASSIGN):
        raise PermissionDenied(
            f"{principal.name} lacks the permission {Permission.TASKS_ASSIGN.value}, which "
            "registering directives, assigning tasks and deciding on them need",
            permission=Permission.TASKS_ASSIGN.value,
        )


def check_lead(principal: Principal, task: Task, action: str) -> None:
    """Only the lead agency's people (or an administrator) report on their task."""
    if not has_permission(principal, Permission.TASKS_REPORT):
        raise PermissionDenied(
            f"{principal.name} lacks the permission {Permission.TASKS_REPORT.value}, which "
            f"{action} needs",
            permission=Permission.TASKS_REPORT.value,
        )
    if principal.scope is Scope.EVERY_AGENCY or principal.agency_id == task.lead_agency_id:
        return
    raise PermissionDenied(
        f"task {task.id} is led by another agency; only the lead agency may {action}",
        task=task.id,
    )


def check_commenter(principal: Principal, task: Task) -> None:
    if sees_every_task(principal) and has_permission(principal, Permission.TASKS_ASSIGN):
        return
    if principal.scope is Scope.EVERY_AGENCY:
        return
    if principal.agency_id is not None and principal.agency_id in involved_agencies(task):
        return
    raise PermissionDenied(
        f"only the agencies that lead or co-ordinate task {task.id} comment on it",
        task=task.id,
    )
