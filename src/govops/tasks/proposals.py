"""Proposed tasks from a directive's Vietnamese text: rule-based, every finding explained.

Each paragraph (or numbered item) that names an agency with an assignment becomes a
proposal. A proposal names its lead agencies, its co-ordinating agencies and its
deadline, and for each of them the words of the text it came from, so the specialist who
confirms it sees why. Nothing here is learned: the rules are the phrases below.

Text is matched without diacritics and case, character for character, so every finding's
words are an exact slice of the original text.
"""

from __future__ import annotations

import calendar
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from govops.catalog.models import Agency
from govops.tasks.deadlines import Deadline, DeadlineKind

# Names the directives still use for ministries merged in 2025, with today's agency.
FORMER_NAMES = {
    "MOF": ["Bộ Kế hoạch và Đầu tư"],
    "MOC": ["Bộ Giao thông vận tải"],
    "MAE": ["Bộ Nông nghiệp và Phát triển nông thôn", "Bộ Tài nguyên và Môi trường"],
    "MOHA": ["Bộ Lao động - Thương binh và Xã hội", "Bộ Lao động, Thương binh và Xã hội"],
    "MOST": ["Bộ Thông tin và Truyền thông"],
    "SBV": ["Ngân hàng Nhà nước"],
    "EVN": ["Tập đoàn Điện lực"],
    "PVN": ["Tập đoàn Dầu khí"],
}
ALL_PROVINCES = "UBND-*"
ALL_MINISTRIES = "BO-*"
_GROUPS = {
    ALL_PROVINCES: [
        r"(uy ban nhan dan|ubnd) cac tinh, thanh pho( truc thuoc trung uong)?",
        r"(uy ban nhan dan|ubnd) cac tinh va thanh pho( truc thuoc trung uong)?",
        r"(chu tich )?(uy ban nhan dan|ubnd) cac dia phuong",
        r"cac dia phuong",
    ],
    ALL_MINISTRIES: [r"cac bo, co quan ngang bo", r"cac bo, nganh"],
}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_ITEM_START = re.compile(r"(?m)^\s*(\d+(\.\d+)*[.)]|[a-zđ][)]|[-–•])\s+")


@dataclass(frozen=True)
class AgencyName:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class Finding:
    """A value found, and the exact words of the text it came from."""

    value: str
    words: str
    start: int


@dataclass
class Proposal:
    text: str
    title: str
    lead: list[Finding] = field(default_factory=list)
    coordinators: list[Finding] = field(default_factory=list)
    deadline: Deadline | None = None
    deadline_words: str = ""

    @property
    def lead_codes(self) -> list[str]:
        return [f.value for f in self.lead]

    @property
    def coordinator_codes(self) -> list[str]:
        return [f.value for f in self.coordinators]


def agency_patterns(agencies: Iterable[AgencyName]) -> list[tuple[re.Pattern[str], str]]:
    """Phrases that name each agency, folded, longest first so the fullest name wins."""
    phrases: list[tuple[str, str]] = []
    for agency in agencies:
        for name in _names_of(agency):
            phrases.append((_fold(name), agency.code))
    for group, patterns in _GROUPS.items():
        phrases.extend((pattern, group) for pattern in patterns)
    phrases.sort(key=lambda item: -len(item[0]))
    return [(re.compile(_as_pattern(phrase)), code) for phrase, code in phrases]


def propose_tasks(
    text: str, patterns: Sequence[tuple[re.Pattern[str], str]], *, year: int
) -> list[Proposal]:
    """The proposals of a directive's text; ``year`` completes dates written without one."""
    proposals = []
    for item in split_items(text):
        proposal = propose_one(item, patterns, year=year)
        if proposal is not None:
            proposals.append(proposal)
    return proposals


def split_items(text: str) -> list[str]:
    """Paragraphs, and numbered or lettered items within them."""
    text = unicodedata.normalize("NFC", text)
    items: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n(?=\s*(?:\d+(?:\.\d+)*[.)]|[a-zđ][)]|[-–•])\s)", text):
        cleaned = _ITEM_START.sub("", paragraph.strip(), count=1).strip()
        if cleaned:
            items.append(" ".join(cleaned.split()))
    return items


def propose_one(
    item: str, patterns: Sequence[tuple[re.Pattern[str], str]], *, year: int
) -> Proposal | None:
    folded = _fold(item)
    mentions = _mentions(folded, item, patterns)
    if not mentions:
        return None
    coordination = _coordination_span(folded)
    coordinators = [m for m in mentions if _inside(m, coordination)]
    lead = _lead(folded, [m for m in mentions if not _inside(m, coordination)])
    if not lead:
        return None
    # Ministries merged in 2025 may appear under two former names, one leading.
    leading = {f.value for f in lead}
    coordinators = [f for f in coordinators if f.value not in leading]
    proposal = Proposal(text=item, title=_title(item), lead=lead, coordinators=coordinators)
    found = find_deadline(item, year=year)
    if found is not None:
        proposal.deadline, proposal.deadline_words = found
    return proposal


# --- agencies ---------------------------------------------------------------------------


def _names_of(agency: AgencyName) -> list[str]:
    names = [agency.name, *FORMER_NAMES.get(agency.code, [])]
    if agency.kind == "province":
        place = agency.name.removeprefix("Ủy ban nhân dân ").removeprefix("Thành phố ")
        for body in ("Ủy ban nhân dân", "UBND", "Chủ tịch Ủy ban nhân dân"):
            names += [f"{body} tỉnh {place}", f"{body} thành phố {place}", f"{body} {place}"]
        names.append(f"Ủy ban nhân dân Thành phố {place}")
    return names


def _as_pattern(phrase: str) -> str:
    if any(ch in phrase for ch in "()?|"):
        return r"\b" + phrase + r"\b"
    return r"\b" + re.escape(phrase).replace(r"\ ", r"\s+") + r"\b"


def _mentions(
    folded: str, original: str, patterns: Sequence[tuple[re.Pattern[str], str]]
) -> list[Finding]:
    taken: list[tuple[int, int]] = []
    found: list[Finding] = []
    for pattern, code in patterns:
        for match in pattern.finditer(folded):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            taken.append(span)
            if code not in {f.value for f in found}:
                found.append(Finding(code, original[span[0] : span[1]], span[0]))
    return sorted(found, key=lambda f: f.start)


def _coordination_span(folded: str) -> tuple[int, int] | None:
    """From "phối hợp (với)" to the end of that clause."""
    match = re.search(r"\bphoi hop( chat che)?( voi)?\b", folded)
    if match is None:
        return None
    rest = folded[match.end() :]
    end = re.search(
        r"[.;:]|\b(khan truong|to chuc|xay dung|hoan thien|nghien cuu|trien khai|thuc hien|"
        r"de xuat|bao cao|tham muu|ra soat|chi dao|tong hop|day nhanh|trinh|xu ly|kiem tra)\b",
        rest,
    )
    stop = match.end() + (end.start() if end else len(rest))
    return match.end(), stop


def _inside(finding: Finding, span: tuple[int, int] | None) -> bool:
    return span is not None and span[0] <= finding.start < span[1]


def _lead(folded: str, candidates: list[Finding]) -> list[Finding]:
    """Agencies given the task: after "giao", before "chủ trì", or opening the item."""
    if not candidates:
        return []
    chair = re.search(r"\bchu tri\b", folded)
    giao = re.search(r"\b(giao|yeu cau|de nghi)( cho)?\b", folded)
    if giao is not None:
        after = [c for c in candidates if c.start >= giao.end()]
        limit = chair.start() if chair and chair.start() > giao.end() else None
        chosen = [c for c in after if limit is None or c.start < limit]
        if chosen:
            return _adjacent(folded, chosen)
    if chair is not None:
        before = [c for c in candidates if c.start < chair.start()]
        if before:
            return _adjacent(folded, before)
    if candidates[0].start <= 3:
        return _adjacent(folded, candidates)
    return []


def _adjacent(folded: str, found: list[Finding]) -> list[Finding]:
    """The first mention and those joined to it by commas or "và" only."""
    chosen = [found[0]]
    for previous, current in itertools.pairwise(found):
        end = previous.start + len(previous.words)
        between = folded[end : current.start]
        if re.fullmatch(r"\s*(,|va|,\s*va)?\s*", between) is None:
            break
        chosen.append(current)
    return chosen


# --- deadlines --------------------------------------------------------------------------


def find_deadline(text: str, *, year: int) -> tuple[Deadline, str] | None:
    """The deadline a passage sets, and its words; None when it sets none."""
    text = unicodedata.normalize("NFC", text)
    folded = _fold(text)
    for finder in (_recurring, _exact_date, _month, _quarter, _half_year, _year, _standing):
        found = finder(folded, year)
        if found is not None:
            deadline, span = found
            return deadline, text[span[0] : span[1]]
    return None


Found = tuple[Deadline, tuple[int, int]] | None
_UNTIL_YEAR_END = 12


def _recurring(folded: str, year: int) -> Found:
    match = re.search(
        r"(truoc |chua muon hon )?(ngay (\d{1,2}) )?(hang|dinh ky hang) (thang|quy)", folded
    )
    if match is None:
        match = re.search(r"\b(truoc )?ngay (\d{1,2}) (cua )?(hang|moi) (thang|quy)\b", folded)
        if match is None:
            return None
        day_text, unit = match.group(2), match.group(5)
    else:
        day_text, unit = match.group(3), match.group(5)
    until = date(year, _UNTIL_YEAR_END, 31)
    day = int(day_text) if day_text else 31
    if unit == "thang":
        return Deadline(DeadlineKind.MONTHLY, due_day=day, until=until), match.span()
    return Deadline(DeadlineKind.QUARTERLY, due_day=day, until=until), match.span()


def _exact_date(folded: str, year: int) -> Found:
    patterns = [
        r"\bngay (\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?",
        r"\bngay (\d{1,2}) thang (\d{1,2})(?: nam (\d{4}))?",
    ]
    for pattern in patterns:
        match = re.search(pattern, folded)
        if match is None:
            continue
        day, month = int(match.group(1)), int(match.group(2))
        chosen_year = int(match.group(3)) if match.group(3) else year
        try:
            due = date(chosen_year, month, day)
        except ValueError:
            continue
        return Deadline.on(due), _with_lead_in(folded, match.span())
    return None


def _month(folded: str, year: int) -> Found:
    match = re.search(r"\btrong thang (\d{1,2})(?:[/](\d{4})| nam (\d{4}))?", folded)
    if match is None:
        return None
    month = int(match.group(1))
    if not 1 <= month <= 12:
        return None
    chosen = int(match.group(2) or match.group(3) or year)
    last = calendar.monthrange(chosen, month)[1]
    return Deadline.on(date(chosen, month, last)), match.span()


def _quarter(folded: str, year: int) -> Found:
    match = re.search(
        r"\b(trong |truoc het )?quy (iv|iii|ii|i|[1-4])\b(?:[/ ](?:nam )?(\d{4}))?", folded
    )
    if match is None:
        return None
    quarter = _ROMAN[match.group(2)]
    chosen = int(match.group(3)) if match.group(3) else year
    month = quarter * 3
    last = calendar.monthrange(chosen, month)[1]
    return Deadline.on(date(chosen, month, last)), match.span()


def _half_year(folded: str, year: int) -> Found:
    match = re.search(r"\b(trong )?6 thang (dau|cuoi) nam(?: (\d{4}))?", folded)
    if match is None:
        return None
    chosen = int(match.group(3)) if match.group(3) else year
    due = date(chosen, 6, 30) if match.group(2) == "dau" else date(chosen, 12, 31)
    return Deadline.on(due), match.span()


def _year(folded: str, year: int) -> Found:
    match = re.search(r"\b(trong|truoc|cuoi|hoan thanh trong) nam (\d{4})\b", folded)
    if match is None:
        return None
    return Deadline.on(date(int(match.group(2)), 12, 31)), match.span()


def _standing(folded: str, year: int) -> Found:
    match = re.search(r"\b(thuong xuyen|lien tuc|kip thoi trong moi tinh huong)\b", folded)
    if match is None:
        return None
    return Deadline.standing(), match.span()


def _with_lead_in(folded: str, span: tuple[int, int]) -> tuple[int, int]:
    """Widen a date's words to "trước ngày …" or "chậm nhất ngày …" when the text says so."""
    before = folded[: span[0]]
    lead_in = re.search(r"(truoc|cham nhat|chua muon hon|hoan thanh|xong)\s*(trong\s*)?$", before)
    return (lead_in.start(), span[1]) if lead_in else span


# --- text -------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without diacritics, one character for each character of ``text``."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in "đĐ":
            out.append("d")
            continue
        bare = "".join(
            c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
        ).lower()
        out.append(" " if ch.isspace() else (bare[:1] if len(bare) >= 1 else ch))
    return "".join(out)


def _title(item: str) -> str:
    first = re.split(r"(?<=[.;])\s", item, maxsplit=1)[0]
    return first[:500]


# --- evaluation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """Micro-averaged precision and recall over facts such as ``lead:MOF``."""

    true_positives: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0


def facts_of(proposals: Iterable[Proposal]) -> set[str]:
    facts: set[str] = set()
    for proposal in proposals:
        facts.update(f"lead:{code}" for code in proposal.lead_codes)
        facts.update(f"coordinator:{code}" for code in proposal.coordinator_codes)
        if proposal.deadline is not None:
            facts.add("deadline:" + deadline_label(proposal.deadline))
    return facts


def deadline_label(deadline: Deadline) -> str:
    if deadline.kind is DeadlineKind.DATE and deadline.due_on is not None:
        return deadline.due_on.isoformat()
    if deadline.kind is DeadlineKind.STANDING:
        return "standing"
    return f"{deadline.kind.value}:{deadline.due_day}"


def score(pairs: Iterable[tuple[set[str], set[str]]], kind: str = "") -> Scores:
    """Scores over (predicted, expected) fact sets; ``kind`` keeps one field only."""
    hits = predicted = expected = 0
    for found, wanted in pairs:
        found = {f for f in found if f.startswith(kind)}
        wanted = {f for f in wanted if f.startswith(kind)}
        hits += len(found & wanted)
        predicted += len(found)
        expected += len(wanted)
    return Scores(hits, predicted, expected)


def agency_names(session: Session) -> list[AgencyName]:
    rows = session.execute(select(Agency.code, Agency.name_vi, Agency.kind))
    return [AgencyName(r.code, r.name_vi, r.kind) for r in rows]
