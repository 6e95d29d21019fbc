"""Bodies and answers of the tasks API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from govops.tasks.queries import TaskRow


class FileIn(BaseModel):
    filename: str = Field(max_length=300)
    media_type: str = "application/octet-stream"
    content_base64: str = Field(description="The file's bytes, base64-encoded")


class DirectiveIn(BaseModel):
    number: str = Field(examples=["25/CT-TTg"], max_length=60)
    kind: str = Field(examples=["chi_thi"])
    issued_on: date
    signer: str = Field(max_length=200)
    title: str = Field(max_length=500)
    summary: str = ""
    document: FileIn | None = None


class DirectiveOut(BaseModel):
    id: int
    number: str
    kind: str
    issued_on: date
    signer: str
    title: str
    summary: str
    document_digest: str | None
    document_name: str | None
    task_count: int = 0


class DirectivePage(BaseModel):
    items: list[DirectiveOut]
    next_cursor: str | None


class DeadlineIn(BaseModel):
    kind: str = Field(examples=["date", "monthly", "quarterly", "standing"])
    due_on: date | None = None
    due_day: int | None = Field(default=None, description="For monthly and quarterly duties")
    until: date | None = Field(default=None, description="Last day a recurring duty runs")


class TaskIn(BaseModel):
    title: str = Field(max_length=500)
    description: str = ""
    directive: str | None = Field(default=None, description="Directive number, e.g. 25/CT-TTg")
    position: str = Field(default="", max_length=20)
    lead_agency: str = Field(examples=["MOC"], description="Agency code")
    coordinating_agencies: list[str] = []
    assigned_on: date
    deadline: DeadlineIn
    priority: str = "normal"
    indicators: list[str] = []


class TaskChangesIn(BaseModel):
    title: str | None = None
    description: str | None = None
    priority: str | None = None
    coordinating_agencies: list[str] | None = None
    indicators: list[str] | None = None


class TaskOut(BaseModel):
    id: int
    directive: str | None
    position: str
    title: str
    lead_agency: str
    lead_agency_name: str
    priority: str
    deadline_kind: str
    assigned_on: date
    due_on: date | None
    period: str
    percent: int
    completed_on: date | None
    status: str
    status_vi: str

    @classmethod
    def of(cls, row: TaskRow) -> TaskOut:
        return cls(
            id=row.id,
            directive=row.directive_number,
            position=row.position,
            title=row.title,
            lead_agency=row.lead_agency_code,
            lead_agency_name=row.lead_agency_name,
            priority=row.priority,
            deadline_kind=row.deadline_kind,
            assigned_on=row.assigned_on,
            due_on=row.due_on,
            period=row.period,
            percent=row.percent,
            completed_on=row.completed_on,
            status=row.status.value,
            status_vi=row.status.label_vi,
        )


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None
    as_of: date


class OccurrenceOut(BaseModel):
    id: int
    period: str
    original_due_on: date | None
    due_on: date | None
    percent: int
    completed_on: date | None
    status: str


class EventOut(BaseModel):
    at: datetime
    kind: str
    actor: str
    details: dict[str, object]


class ReportOut(BaseModel):
    id: int
    author: str
    text: str
    percent: int
    submitted_at: datetime
    attachments: list[str] = []


class CommentOut(BaseModel):
    id: int
    author: str
    text: str
    written_at: datetime


class ExtensionOut(BaseModel):
    id: int
    task: int
    requested_by: str
    current_due_on: date
    requested_due_on: date
    reason: str
    state: str
    decision_note: str | None


class CompletionOut(BaseModel):
    id: int
    task: int
    submitted_by: str
    completed_on: date
    evidence: str
    state: str
    decision_note: str | None


class TaskDetailOut(TaskOut):
    description: str
    coordinating_agencies: list[str]
    indicators: list[str]
    source: str
    occurrences: list[OccurrenceOut]
    reports: list[ReportOut]
    comments: list[CommentOut]
    extensions: list[ExtensionOut]
    completions: list[CompletionOut]


class ReportIn(BaseModel):
    text: str
    percent: int
    attachments: list[FileIn] = []
    occurrence: int | None = None


class CommentIn(BaseModel):
    text: str


class ExtensionIn(BaseModel):
    new_due_on: date
    reason: str
    occurrence: int | None = None


class CompletionIn(BaseModel):
    evidence: str
    completed_on: date | None = None
    attachments: list[FileIn] = []
    occurrence: int | None = None


class DecisionIn(BaseModel):
    approve: bool = Field(description="true approves (or accepts), false refuses (sends back)")
    note: str = ""


class ScoreLineOut(BaseModel):
    key: str = Field(description="Agency code or directive number")
    name: str
    rank: int | None
    total: int
    completed_on_time: int
    completed_late: int
    in_progress: int
    overdue: int
    not_started: int
    on_time_rate: float | None = Field(description="Percent of those fallen due")
    completion_rate: float | None
    drill_down: str = Field(description="The task list behind this line")


class ScorecardOut(BaseModel):
    group_by: str
    as_of: date
    start: date | None
    end: date | None
    overall: ScoreLineOut
    lines: list[ScoreLineOut]
    trend: list[ScoreLineOut] = Field(description="One line per month of the period")


class CalendarIn(BaseModel):
    agency: str | None = Field(
        default=None, description="Agency code for an agency's feed; none for your own"
    )


class CalendarOut(BaseModel):
    id: int
    agency: str | None
    personal: bool
    created_at: datetime
    revoked_at: datetime | None
    address: str | None = Field(
        default=None, description="The secret address; shown only when the feed is made"
    )


class ProposalRequest(BaseModel):
    text: str = Field(max_length=200_000, description="The directive's Vietnamese text")
    year: int = Field(ge=2000, le=2100, description="Year for dates written without one")


class FindingOut(BaseModel):
    value: str = Field(description="Agency code; UBND-* every province, BO-* every ministry")
    words: str = Field(description="The words of the text it came from")


class ProposalOut(BaseModel):
    text: str
    title: str
    lead_agencies: list[FindingOut]
    coordinating_agencies: list[FindingOut]
    deadline: DeadlineIn | None
    deadline_words: str
