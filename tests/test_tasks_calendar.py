"""Calendar feeds at secret addresses: valid iCalendar, scoped to their owner, revocable."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar

from api_helpers import assert_problem, bearer, open_client, person_token
from govops.security.permissions import Role
from govops.tasks.status import vietnam_today
from tasks_helpers import task

CALENDARS = "/api/v1/task-calendars"


def soon(days: int) -> date:
    return vietnam_today() + timedelta(days=days)


def assign_some(store) -> None:
    with store.session() as session, session.begin():
        task(
            session,
            "MOC",
            due_on=soon(10),
            title="Trình đề án nhà ở xã hội",
            assigned_on=vietnam_today(),
        )
        task(
            session,
            "MOF",
            due_on=soon(20),
            title="Báo cáo bội chi",
            coordinators=("MOC",),
            assigned_on=vietnam_today(),
        )
        task(
            session, "MOH", due_on=soon(30), title="Việc của Bộ Y tế", assigned_on=vietnam_today()
        )


def test_an_agency_feed_parses_as_rfc_5545_with_its_deadlines(store):
    assign_some(store)
    token = bearer(person_token(store, "xd.officer", role=Role.AGENCY_OFFICER, agency="MOC"))
    with open_client(store) as client:
        made = client.post(CALENDARS, json={"agency": "MOC"}, headers=token)
        assert made.status_code == 201, made.text
        address = made.json()["address"]
        assert "/cal_" in address
        feed = client.get(address, headers={"Authorization": ""})
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/calendar")

    calendar = Calendar.from_ical(feed.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = calendar.walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "[MOC] Trình đề án nhà ở xã hội",
        "[MOF] Báo cáo bội chi",
    ]
    for event in events:
        assert event["UID"] and event["DTSTAMP"]
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(days=1)
    assert {e.decoded("DTSTART") for e in events} == {soon(10), soon(20)}


def test_a_personal_feed_of_a_leader_holds_every_task(store):
    assign_some(store)
    token = bearer(person_token(store, "pm.assistant", role=Role.LEADER))
    with open_client(store) as client:
        address = client.post(CALENDARS, json={}, headers=token).json()["address"]
        calendar = Calendar.from_ical(client.get(address).content)
    assert len(calendar.walk("VEVENT")) == 3


def test_a_revoked_address_answers_410_and_an_unknown_one_404(store):
    assign_some(store)
    token = bearer(person_token(store, "xd.officer", role=Role.AGENCY_OFFICER, agency="MOC"))
    with open_client(store) as client:
        made = client.post(CALENDARS, json={"agency": "MOC"}, headers=token).json()
        revoked = client.delete(f"{CALENDARS}/{made['id']}", headers=token)
        assert revoked.json()["revoked_at"]
        problem = assert_problem(client.get(made["address"]), 410, "calendar-revoked")
        assert "revoked" in problem["detail"]
        assert_problem(client.get(f"{CALENDARS}/cal_nothing.ics"), 404, "not-found")


def test_an_officer_cannot_make_another_agencys_feed(store):
    token = bearer(person_token(store, "xd.officer", role=Role.AGENCY_OFFICER, agency="MOC"))
    with open_client(store) as client:
        assert_problem(
            client.post(CALENDARS, json={"agency": "MOF"}, headers=token), 403, "forbidden"
        )


def test_the_list_of_feeds_never_shows_their_secrets(store):
    token = bearer(person_token(store, "xd.officer", role=Role.AGENCY_OFFICER, agency="MOC"))
    with open_client(store) as client:
        client.post(CALENDARS, json={}, headers=token)
        [listed] = client.get(CALENDARS, headers=token).json()
        assert listed["address"] is None and listed["personal"] is True
