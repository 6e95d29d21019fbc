"""Scorecards: counts, rates and ranks per agency, the trend by month, and publication."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from api_helpers import open_client
from govops.catalog.models import Indicator
from govops.core.periods import Frequency, Period
from govops.datastore.models import Observation, OutboxEvent
from govops.security.permissions import OPERATOR, Role
from govops.tasks.deadlines import Deadline
from govops.tasks.models import Tally
from govops.tasks.progress import (
    NewReport,
    decide_completion,
    decide_extension,
    report_progress,
    request_extension,
    submit_completion,
)
from govops.tasks.publish import publish_scorecards
from govops.tasks.scorecard import (
    ScoreLine,
    compute_scorecard,
    count_statuses,
    monthly_trend,
    rank,
    scorecard_with_trend,
)
from govops.tasks.status import TaskStatus
from govops.tasks.tallies import rebuild_tallies
from tasks_helpers import officer, person, specialist, task

TODAY = date(2025, 7, 10)


def finish(session, made, day: date) -> None:
    made.occurrences[0].completed_on = day
    session.flush()


def three_agencies(session) -> None:
    """MOC: one on time, one late. MOF: one on time, one overdue. MOH: one not yet due."""
    finish(session, task(session, "MOC", due_on=date(2025, 6, 30)), date(2025, 6, 25))
    finish(session, task(session, "MOC", due_on=date(2025, 5, 31)), date(2025, 6, 3))
    finish(session, task(session, "MOF", due_on=date(2025, 6, 15)), date(2025, 6, 15))
    task(session, "MOF", due_on=date(2025, 6, 20))
    task(session, "MOH", due_on=date(2025, 7, 31))


def test_the_scorecard_counts_each_agencys_deliverables_by_status_and_rate(store):
    with store.session() as session, session.begin():
        three_agencies(session)
        card = compute_scorecard(session, today=TODAY, reader=OPERATOR)
        lines = {line.key: line for line in card.lines}
        assert lines["MOC"].counts[TaskStatus.COMPLETED_ON_TIME] == 1
        assert lines["MOC"].counts[TaskStatus.COMPLETED_LATE] == 1
        assert lines["MOF"].counts[TaskStatus.OVERDUE] == 1
        assert lines["MOC"].on_time_rate == Decimal("50.0")
        assert lines["MOF"].on_time_rate == Decimal("50.0")
        assert lines["MOH"].on_time_rate is None
        assert card.overall.total == 5


def test_agencies_rank_by_on_time_rate_then_fewer_overdue_and_ties_share_a_rank():
    def line(key: str, on_time: int, late: int, overdue: int) -> ScoreLine:
        made = ScoreLine(key, key)
        made.counts[TaskStatus.COMPLETED_ON_TIME] = on_time
        made.counts[TaskStatus.COMPLETED_LATE] = late
        made.counts[TaskStatus.OVERDUE] = overdue
        return made

    ranked = rank(
        [
            line("A", 1, 1, 0),
            line("B", 1, 0, 1),
            line("C", 3, 0, 0),
            line("D", 0, 0, 0),
            line("E", 2, 2, 0),
        ]
    )
    assert [(r.key, r.rank) for r in ranked] == [
        ("C", 1),
        ("A", 2),
        ("E", 2),
        ("B", 4),
        ("D", None),
    ]


def test_the_period_keeps_only_deliverables_due_in_it(store):
    with store.session() as session, session.begin():
        three_agencies(session)
        june = compute_scorecard(
            session, today=TODAY, reader=OPERATOR, start=date(2025, 6, 1), end=date(2025, 6, 30)
        )
        assert {line.key: line.total for line in june.lines} == {"MOC": 1, "MOF": 2}


def test_an_agency_officer_scorecard_holds_only_its_own_agency(store):
    with store.session() as session, session.begin():
        three_agencies(session)
        card = compute_scorecard(session, today=TODAY, reader=officer(session, "MOC").principal)
        assert [line.key for line in card.lines] == ["MOC"]
        everyone = compute_scorecard(
            session, today=TODAY, reader=person(session, Role.LEADER).principal
        )
        assert len(everyone.lines) == 3


def test_the_trend_gives_each_month_its_own_rate(store):
    with store.session() as session, session.begin():
        made = task(session, "MOF", deadline=Deadline.monthly(20, date(2025, 6, 30)))
        made.occurrences[0].completed_on = date(2025, 3, 20)
        made.occurrences[1].completed_on = date(2025, 4, 22)
        session.flush()
        trend = monthly_trend(
            session, today=TODAY, reader=OPERATOR, start=date(2025, 1, 1), end=date(2025, 6, 30)
        )
        assert {month: line.on_time_rate for month, line in trend.items()} == {
            "2025-03": Decimal("100.0"),
            "2025-04": Decimal("0.0"),
            "2025-05": Decimal("0.0"),
            "2025-06": Decimal("0.0"),
        }


def test_scorecards_are_published_as_indicators_through_the_datastore(fresh_store):
    with fresh_store.session() as session, session.begin():
        three_agencies(session)
        months = [
            Period(Frequency.MONTHLY, date(2025, 5, 1)),
            Period(Frequency.MONTHLY, date(2025, 6, 1)),
        ]
        as_of = datetime(2025, 7, 10, 3, 0, tzinfo=UTC)
        published = publish_scorecards(session, months, today=as_of)
        assert published.agencies == 2
        again = publish_scorecards(session, months, today=as_of)
        assert again.receipt.stored == 0

    with fresh_store.session() as session:
        rate = session.scalar(select(Indicator).where(Indicator.code == "TASK_ON_TIME_RATE"))
        assert rate is not None and rate.unit_code == "PCT"
        assert [d.code for d in rate.dimensions] == ["AGENCY"]
        stored = session.scalars(select(Observation.value)).all()
        assert Decimal("100.0") in stored and Decimal("0.0") in stored
        assert session.scalar(select(OutboxEvent.type)) == "observations.stored"
    with open_client(fresh_store) as client:
        answer = client.get(
            "/api/v1/data",
            params={
                "indicator": "TASK_ON_TIME_RATE",
                "area": "VN",
                "start": "2025-M06",
                "end": "2025-M06",
                "dims": "AGENCY:MOF",
            },
        )
        assert answer.status_code == 200, answer.text
        [series] = answer.json()["series"]
        assert [p["value"] for p in series["points"]] == [50.0]


def test_the_scorecard_api_answers_lines_with_drill_downs(store):
    with store.session() as session, session.begin():
        three_agencies(session)
    with open_client(store) as client:
        card = client.get(
            "/api/v1/tasks-scorecard",
            params={"start": "2025-01-01", "end": "2025-12-31", "as_of": "2025-07-10"},
        ).json()
        lines = {line["key"]: line for line in card["lines"]}
        assert lines["MOF"]["overdue"] == 1
        assert lines["MOC"]["on_time_rate"] == 50.0
        assert card["overall"]["total"] == 5
        assert [m["key"] for m in card["trend"]] == ["2025-05", "2025-06", "2025-07"]
        drill = client.get(lines["MOF"]["drill_down"] + "&status=overdue").json()
        assert [t["lead_agency"] for t in drill["items"]] == ["MOF"]


def test_the_scorecard_downloads_as_csv_with_the_lines_of_the_answer(store):
    with store.session() as session, session.begin():
        three_agencies(session)
    params = {"start": "2025-01-01", "end": "2025-12-31", "as_of": "2025-07-10"}
    with open_client(store) as client:
        lines = client.get("/api/v1/tasks-scorecard", params=params).json()["lines"]
        download = client.get("/api/v1/tasks-scorecard", params={**params, "format": "csv"})
    assert download.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(download.text)))
    assert [row[header.index("key")] for row in rows] == [line["key"] for line in lines] + ["*"]
    moc = next(row for row in rows if row[1] == "MOC")
    assert float(moc[header.index("on_time_rate")]) == 50.0


def test_the_card_and_trend_read_together_equal_those_read_apart(store):
    with store.session() as session, session.begin():
        three_agencies(session)
        task(session, "MOH", due_on=date(2025, 4, 12), assigned_on=date(2025, 1, 2))
        windows = {
            (date(2025, 4, 10), date(2025, 7, 31)): ["2025-04", "2025-05", "2025-06", "2025-07"],
            (date(2025, 1, 1), TODAY): ["2025-04", "2025-05", "2025-06"],
        }
        for (start, end), months in windows.items():
            card, trend = scorecard_with_trend(
                session, today=TODAY, reader=OPERATOR, start=start, end=end
            )
            apart = compute_scorecard(session, today=TODAY, reader=OPERATOR, start=start, end=end)
            assert [(x.key, x.counts, x.rank) for x in card.lines] == [
                (x.key, x.counts, x.rank) for x in apart.lines
            ]
            alone = monthly_trend(session, today=TODAY, reader=OPERATOR, start=start, end=end)
            assert {k: v.counts for k, v in trend.items()} == {
                k: v.counts for k, v in alone.items()
            }
            assert list(trend) == months


def test_tallies_agree_with_the_deliverables_after_every_kind_of_change(store):
    generator = random.Random(3)
    with store.session() as session, session.begin():
        boss = specialist(session)
        made = []
        for _ in range(40):
            lead = generator.choice(["MOC", "MOF", "MOH"])
            due = date(2024, 1, 5) + timedelta(days=generator.randint(10, 500))
            made.append((lead, task(session, lead, assigned_on=date(2024, 1, 5), due_on=due)))
        monthly = Deadline.monthly(20, date(2025, 3, 31))
        made.append(("MOF", task(session, "MOF", assigned_on=date(2024, 1, 5), deadline=monthly)))
        for lead, item in made[:32]:
            _work_on(session, generator, item, officer(session, lead), boss)

        kept = _tallied(session)
        rebuild_tallies(session)
        assert _tallied(session) == kept

        for today in (date(2024, 6, 15), date(2025, 1, 1), date(2025, 3, 31)):
            for window in (
                (None, None),
                (date(2024, 2, 10), date(2025, 2, 14)),
                (date(2024, 3, 1), date(2024, 12, 31)),
            ):
                for by in ("agency", "month", "agency_month"):
                    fast, slow = (
                        +count_statuses(
                            session,
                            today=today,
                            reader=OPERATOR,
                            window=window,
                            by=by,
                            from_tallies=flag,
                        )
                        for flag in (True, False)
                    )
                    assert fast == slow, (today, window, by)


def _work_on(session, generator, item, lead, boss) -> None:
    report_progress(session, item.id, NewReport("Đang triển khai", 40), by=lead)
    due = item.occurrences[0].due_on
    if generator.random() < 0.4:
        asked = request_extension(
            session, item.id, new_due_on=due + timedelta(days=45), reason="Chờ vốn", by=lead
        )
        decide_extension(session, asked.id, approve=True, by=boss)
    if generator.random() < 0.6:
        day = due + timedelta(days=generator.randint(-20, 20))
        day = max(min(day, date(2025, 6, 1)), date(2024, 1, 5))
        done = submit_completion(session, item.id, evidence="Đã xong", completed_on=day, by=lead)
        decide_completion(session, done.id, accept=True, by=boss)


def _tallied(session) -> set[tuple[object, ...]]:
    rows = session.execute(
        select(
            Tally.lead_agency_id, Tally.directive_key, Tally.month, Tally.state, Tally.count
        ).where(Tally.count != 0)
    )
    return {tuple(row) for row in rows}
