"""Proposals from directive text: found agencies and deadlines, the words they came from,
and precision and recall on the evaluation passages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from api_helpers import open_client
from govops.tasks.deadlines import DeadlineKind
from govops.tasks.proposals import (
    AgencyName,
    agency_names,
    agency_patterns,
    facts_of,
    find_deadline,
    propose_tasks,
    score,
)

PASSAGES = Path(__file__).parent / "data" / "tasks" / "directive_passages.yaml"
FEW_AGENCIES = agency_patterns(
    [
        AgencyName("MOF", "Bộ Tài chính", "ministry"),
        AgencyName("MOC", "Bộ Xây dựng", "ministry"),
        AgencyName("UBND-01", "Ủy ban nhân dân Thành phố Hà Nội", "province"),
    ]
)


@pytest.fixture
def patterns(store):
    with store.session() as session:
        return agency_patterns(agency_names(session))


def expected_facts(passage: dict) -> set[str]:
    facts: set[str] = set()
    for task in passage["tasks"]:
        facts |= {f"lead:{code}" for code in task["lead"]}
        facts |= {f"coordinator:{code}" for code in task["coordinators"]}
        if task["deadline"] is not None:
            facts.add(f"deadline:{task['deadline']}")
    return facts


def test_a_lead_its_coordinators_and_a_date_are_found_with_their_words(patterns):
    text = (
        "1. Giao Bộ Tài chính chủ trì, phối hợp với Ngân hàng Nhà nước Việt Nam và Ủy ban "
        "nhân dân các tỉnh, thành phố đề xuất giải pháp, báo cáo trước ngày 30/6/2025."
    )
    [proposal] = propose_tasks(text, patterns, year=2025)
    assert [(f.value, f.words) for f in proposal.lead] == [("MOF", "Bộ Tài chính")]
    assert [(f.value, f.words) for f in proposal.coordinators] == [
        ("SBV", "Ngân hàng Nhà nước Việt Nam"),
        ("UBND-*", "Ủy ban nhân dân các tỉnh, thành phố"),
    ]
    assert proposal.deadline is not None and proposal.deadline.due_on == date(2025, 6, 30)
    assert proposal.deadline_words == "trước ngày 30/6/2025"


@pytest.mark.parametrize(
    ("words", "kind", "due_on", "due_day"),
    [
        ("trước ngày 30/6/2025", DeadlineKind.DATE, date(2025, 6, 30), None),
        ("trong quý III năm 2025", DeadlineKind.DATE, date(2025, 9, 30), None),
        ("trong tháng 2/2028", DeadlineKind.DATE, date(2028, 2, 29), None),
        ("trước ngày 20 hằng tháng", DeadlineKind.MONTHLY, None, 20),
        ("hằng tháng", DeadlineKind.MONTHLY, None, 31),
        ("định kỳ hằng quý", DeadlineKind.QUARTERLY, None, 31),
        ("thực hiện thường xuyên", DeadlineKind.STANDING, None, None),
        ("ngày 15 tháng 3 năm 2026", DeadlineKind.DATE, date(2026, 3, 15), None),
    ],
)
def test_deadlines_are_read_from_their_vietnamese_wording(words, kind, due_on, due_day):
    found = find_deadline(f"Báo cáo Thủ tướng Chính phủ {words}.", year=2025)
    assert found is not None
    deadline, _ = found
    assert (deadline.kind, deadline.due_on, deadline.due_day) == (kind, due_on, due_day)


def test_an_impossible_date_is_not_proposed():
    assert find_deadline("báo cáo trước ngày 31/2/2025", year=2025) is None


def test_a_passage_without_an_assigned_agency_proposes_nothing(patterns):
    text = "Chính phủ yêu cầu các cấp, các ngành nâng cao tinh thần trách nhiệm."
    assert propose_tasks(text, patterns, year=2025) == []


def test_precision_and_recall_on_the_evaluation_passages(patterns):
    passages = yaml.safe_load(PASSAGES.read_text(encoding="utf-8"))["passages"]
    assert len(passages) >= 30
    pairs = [
        (facts_of(propose_tasks(p["text"], patterns, year=p["year"])), expected_facts(p))
        for p in passages
    ]
    overall = score(pairs)
    # Figures at the time of writing: precision 1.00, recall 0.97 (bench/tasks_proposals.py).
    assert overall.precision >= 0.95
    assert overall.recall >= 0.90
    for field in ("lead", "coordinator", "deadline"):
        assert score(pairs, field).recall >= 0.85, field


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet="Bộ Tài chính Xây dựng giao chủ trì phối hợp với, trước ngày 30/6/2025 "
        "hằng tháng quý III\n1.",
        max_size=300,
    )
)
def test_every_finding_is_words_of_the_text_and_no_text_breaks_the_rules(text):
    for proposal in propose_tasks(text, FEW_AGENCIES, year=2025):
        for finding in [*proposal.lead, *proposal.coordinators]:
            assert finding.words in " ".join(text.split())
        assert proposal.deadline_words in " ".join(text.split())


def test_the_api_proposes_tasks_for_a_specialist_to_confirm(store):
    text = (
        "1. Giao Bộ Xây dựng chủ trì, phối hợp với Bộ Tài chính hoàn thiện cơ chế, hoàn thành "
        "trong quý III năm 2025.\n"
        "2. Ủy ban nhân dân các tỉnh, thành phố báo cáo trước ngày 20 hằng tháng."
    )
    with open_client(store) as client:
        response = client.post("/api/v1/directives/proposals", json={"text": text, "year": 2025})
        assert response.status_code == 200, response.text
        first, second = response.json()
    assert first["lead_agencies"] == [{"value": "MOC", "words": "Bộ Xây dựng"}]
    assert first["deadline"]["due_on"] == "2025-09-30"
    assert first["deadline_words"] == "trong quý III năm 2025"
    assert second["lead_agencies"][0]["value"] == "UBND-*"
    assert second["deadline"] == {
        "kind": "monthly",
        "due_on": None,
        "due_day": 20,
        "until": "2025-12-31",
    }
