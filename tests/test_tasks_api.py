"""The tasks API: directives, tasks, filters, pages, downloads, and who may do what."""

from __future__ import annotations

import base64
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from api_helpers import assert_problem, bearer, open_client, person_token
from govops.security.models import AuditEntry
from govops.security.permissions import Role

TASKS = "/api/v1/tasks"


def directive_body(number: str = "25/CT-TTg") -> dict[str, Any]:
    return {
        "number": number,
        "kind": "chi_thi",
        "issued_on": "2025-03-10",
        "signer": "Phạm Minh Chính",
        "title": "Về nhiệm vụ, giải pháp thúc đẩy tăng trưởng",
        "document": {
            "filename": "25-ct-ttg.pdf",
            "media_type": "application/pdf",
            "content_base64": base64.b64encode(b"%PDF-1.7 directive").decode(),
        },
    }


def task_body(lead: str = "MOC", due_on: str = "2025-06-30", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Đẩy nhanh giải ngân vốn đầu tư công",
        "directive": "25/CT-TTg",
        "lead_agency": lead,
        "assigned_on": "2025-03-10",
        "deadline": {"kind": "date", "due_on": due_on},
    }
    body.update(fields)
    return body


def assigned(client: Any, **fields: Any) -> dict[str, Any]:
    response = client.post(TASKS, json=task_body(**fields))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_directive_and_its_task_are_registered_and_read_back(store):
    with open_client(store) as client:
        made = client.post("/api/v1/directives", json=directive_body())
        assert made.status_code == 201, made.text
        assert made.json()["document_digest"].startswith("sha256:")
        task = assigned(client, coordinating_agencies=["MOF", "UBND-01"], priority="high")
        assert task["directive"] == "25/CT-TTg"
        assert task["coordinating_agencies"] == ["MOF", "UBND-01"] or set(
            task["coordinating_agencies"]
        ) == {"MOF", "UBND-01"}
        directive = client.get(f"/api/v1/directives/{made.json()['id']}").json()
        assert directive["task_count"] == 1
        history = client.get(f"{TASKS}/{task['id']}/history").json()
        assert [event["kind"] for event in history] == ["assigned"]


def test_a_deadline_before_the_assignment_date_is_refused_with_the_field(store):
    with open_client(store) as client:
        client.post("/api/v1/directives", json=directive_body())
        problem = assert_problem(
            client.post(TASKS, json=task_body(due_on="2025-03-01")), 400, "invalid-request"
        )
        assert problem["field"] == "deadline"
        assert "before the assignment date" in problem["detail"]


def test_an_unknown_agency_is_refused_with_the_field(store):
    with open_client(store) as client:
        client.post("/api/v1/directives", json=directive_body())
        problem = assert_problem(
            client.post(TASKS, json=task_body(lead="NO_SUCH")), 400, "invalid-request"
        )
        assert problem["field"] == "lead_agency"
        assert "NO_SUCH" in problem["detail"]


def test_lists_filter_by_status_agency_and_deadline_and_page_by_cursor(store):
    with open_client(store) as client:
        client.post("/api/v1/directives", json=directive_body())
        for lead, due in [("MOC", "2025-04-30"), ("MOC", "2025-08-31"), ("MOF", "2025-05-15")]:
            assigned(client, lead=lead, due_on=due)
        overdue = client.get(TASKS, params={"status": "overdue", "as_of": "2025-06-01"}).json()
        assert [t["lead_agency"] for t in overdue["items"]] == ["MOC", "MOF"]
        assert {t["status_vi"] for t in overdue["items"]} == {"Quá hạn"}
        moc = client.get(TASKS, params={"agency": "MOC", "due_from": "2025-05-01"}).json()
        assert [t["due_on"] for t in moc["items"]] == ["2025-08-31"]

        first = client.get(TASKS, params={"limit": 2}).json()
        assert len(first["items"]) == 2 and first["next_cursor"]
        rest = client.get(TASKS, params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_an_unknown_status_filter_is_refused_naming_the_known_ones(store):
    with open_client(store) as client:
        problem = assert_problem(
            client.get(TASKS, params={"status": "late"}), 400, "invalid-request"
        )
        assert "completed_on_time" in problem["detail"]


def test_a_list_downloads_as_a_workbook_with_the_same_rows(store):
    with open_client(store) as client:
        client.post("/api/v1/directives", json=directive_body())
        assigned(client, lead="MOC")
        assigned(client, lead="MOF")
        response = client.get(TASKS, params={"format": "xlsx", "agency": "MOF"})
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:5] == ("task", "directive", "position", "title", "lead_agency")
        assert [row[4] for row in rows[1:]] == ["MOF"]


def test_an_agency_officer_sees_only_its_agencys_tasks_and_reports_only_on_its_own(store):
    with open_client(store) as client:
        client.post("/api/v1/directives", json=directive_body())
        own = assigned(client, lead="MOC")
        coordinated = assigned(client, lead="MOF", coordinating_agencies=["MOC"])
        other = assigned(client, lead="MOH")
        token = bearer(person_token(store, "xd.officer", role=Role.AGENCY_OFFICER, agency="MOC"))

        seen = client.get(TASKS, headers=token).json()["items"]
        assert {t["id"] for t in seen} == {own["id"], coordinated["id"]}
        assert_problem(client.get(f"{TASKS}/{other['id']}", headers=token), 404, "not-found")

        report = {"text": "Đã hoàn thành 40% khối lượng", "percent": 40}
        made = client.post(f"{TASKS}/{own['id']}/reports", json=report, headers=token)
        assert made.status_code == 201, made.text
        refused = client.post(f"{TASKS}/{coordinated['id']}/reports", json=report, headers=token)
        problem = assert_problem(refused, 403, "forbidden")
        assert "lead agency" in problem["detail"]
        comment = client.post(
            f"{TASKS}/{coordinated['id']}/comments", json={"text": "Đã góp ý"}, headers=token
        )
        assert comment.status_code == 201


def test_an_extension_is_asked_by_the_agency_and_decided_by_the_government_office(store):
    with open_client(store) as client:
        client.post("/api/v1/directives", json=directive_body())
        task = assigned(client, lead="MOC")
        token = bearer(person_token(store, "xd.officer", role=Role.AGENCY_OFFICER, agency="MOC"))
        asked = client.post(
            f"{TASKS}/{task['id']}/extensions",
            json={"new_due_on": "2025-09-30", "reason": "Chờ bố trí vốn"},
            headers=token,
        )
        assert asked.status_code == 201, asked.text
        decision = {"approve": True, "note": "Đồng ý"}
        own_decision = client.post(
            f"/api/v1/extensions/{asked.json()['id']}/decision", json=decision, headers=token
        )
        assert_problem(own_decision, 403, "forbidden")
        approved = client.post(f"/api/v1/extensions/{asked.json()['id']}/decision", json=decision)
        assert approved.json()["state"] == "approved"
        assert client.get(f"{TASKS}/{task['id']}").json()["due_on"] == "2025-09-30"


def test_a_completion_accepted_counts_and_an_extension_after_it_is_refused(store):
    with open_client(store) as client:
        client.post("/api/v1/directives", json=directive_body())
        task = assigned(client, lead="MOC")
        token = bearer(person_token(store, "xd.officer", role=Role.AGENCY_OFFICER, agency="MOC"))
        done = client.post(
            f"{TASKS}/{task['id']}/completions",
            json={"evidence": "Quyết định số 12/QĐ-BXD", "completed_on": "2025-06-20"},
            headers=token,
        )
        assert done.status_code == 201, done.text
        client.post(f"/api/v1/completions/{done.json()['id']}/decision", json={"approve": True})
        read = client.get(f"{TASKS}/{task['id']}").json()
        assert read["status"] == "completed_on_time"
        late = client.post(
            f"{TASKS}/{task['id']}/extensions",
            json={"new_due_on": "2025-09-30", "reason": "x"},
            headers=token,
        )
        problem = assert_problem(late, 409, "conflict")
        assert "completed" in problem["detail"]


def test_every_write_leaves_an_audit_record(store):
    with open_client(store) as client:
        client.post("/api/v1/directives", json=directive_body())
        task = assigned(client, lead="MOC")
        client.patch(f"{TASKS}/{task['id']}", json={"priority": "high"})
        client.post(f"{TASKS}/{task['id']}/comments", json={"text": "Ghi chú"})
    with store.session() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"directive.register", "task.assign", "task.change", "task.comment"} <= actions
