"""The demo's exchange: the programme's 40 flows, a delivery history, simulated agencies.

The flows are realistic in provider and content (budget from the Ministry of Finance,
credit from the State Bank, trade from the Ministry of Industry and Trade, daily power
load from Vietnam Electricity, public-service quality from the National Public Service
Portal, monthly reports from provinces …). Each flow's recent deliveries are recorded so
the health page is alive: most flows live, a few late, one failing, one not started.
Every delivery's payload is kept like a real one, with the values already in the store.

``govops demo --simulate-agencies`` then has each provider's system push its flow on
an accelerated schedule through the HTTP API, with its own API key.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from rich.progress import Progress
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from govops.catalog.areas import NATION_CODE, areas_on
from govops.catalog.models import Agency, Area, Indicator
from govops.core.db import now_utc, transaction
from govops.core.periods import Frequency, Period
from govops.datastore.models import Observation, RawPayload, Series
from govops.datastore.writes import Payload
from govops.exchange.models import Inbound
from govops.exchange.registry import (
    ConsumerSpec,
    FlowSpec,
    MemberSpec,
    SystemSpec,
    flow_indicators,
    list_flows,
    save_flow,
    save_member,
)
from govops.security import audit
from govops.security.keys import KeyRequest, create_api_key
from govops.security.permissions import Clearance, Permission

log = logging.getLogger(__name__)

DAY = 24 * 60
MONTHLY_FRESHNESS = 45 * DAY  # a month's figures by the middle of the next month
QUARTERLY_FRESHNESS = 120 * DAY
ANNUAL_FRESHNESS = 400 * DAY
CONSUMERS = [
    ConsumerSpec(agency="NA_OFFICE", max_classification=Clearance.PUBLIC),
    ConsumerSpec(agency="PCC_OFFICE", max_classification=Clearance.INTERNAL),
]


@dataclass(frozen=True)
class DemoFlow:
    code: str
    name_vi: str
    name_en: str
    provider: str
    system: str
    indicators: tuple[str, ...]
    schedule: str
    freshness: int
    direction: str = "both"
    classification: Clearance = Clearance.PUBLIC
    area: str = NATION_CODE


NATIONAL_FLOWS = (
    DemoFlow(
        "MOF-BUDGET",
        "Thu, chi ngân sách nhà nước",
        "State budget revenue and spending",
        "MOF",
        "TABMIS",
        ("BUDGET_REVENUE", "BUDGET_SPENDING"),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "MOF-FDI",
        "Đầu tư trực tiếp nước ngoài",
        "Foreign direct investment",
        "MOF",
        "FDI-DB",
        ("FDI_REGISTERED", "FDI_DISBURSED"),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "MOF-ENTERPRISES",
        "Đăng ký doanh nghiệp",
        "Enterprise registration",
        "MOF",
        "DKKD",
        ("NEW_ENTERPRISES", "ENTERPRISES_EXITED"),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "MOIT-TRADE",
        "Xuất khẩu, nhập khẩu hàng hóa",
        "Exports and imports of goods",
        "MOIT",
        "TRADE-STATS",
        ("EXPORTS", "IMPORTS"),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "SBV-CREDIT",
        "Dư nợ tín dụng nền kinh tế",
        "Outstanding credit to the economy",
        "SBV",
        "SBV-REPORTING",
        ("CREDIT_OUTSTANDING",),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "NSO-PRICES",
        "Chỉ số giá tiêu dùng",
        "Consumer prices",
        "NSO",
        "CPI-SYSTEM",
        ("CPI", "CORE_CPI"),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "NSO-PRODUCTION",
        "Sản xuất công nghiệp và bán lẻ",
        "Industry and retail",
        "NSO",
        "NSO-MONTHLY",
        ("IIP", "RETAIL_SALES"),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "NSO-TRANSPORT",
        "Vận tải và khách quốc tế",
        "Transport and visitors",
        "NSO",
        "NSO-MONTHLY",
        ("PASSENGERS_CARRIED", "FREIGHT_CARRIED", "INTL_ARRIVALS"),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "NSO-INVESTMENT",
        "Vốn đầu tư từ ngân sách",
        "Public investment realised",
        "NSO",
        "NSO-MONTHLY",
        ("PUBLIC_INVESTMENT_DISBURSED",),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "NSO-GDP-Q",
        "Tăng trưởng GDP, GRDP quý",
        "Quarterly GDP and GRDP",
        "NSO",
        "NSO-ACCOUNTS",
        ("GDP_GROWTH_Q", "GRDP_CURRENT_Q"),
        "Q",
        QUARTERLY_FRESHNESS,
    ),
    DemoFlow(
        "NSO-LABOUR-Q",
        "Lao động, việc làm quý",
        "Quarterly labour force",
        "NSO",
        "LFS",
        ("LABOUR_FORCE_Q", "EMPLOYED_Q", "UNEMPLOYMENT_RATE_Q", "AVG_INCOME_Q"),
        "Q",
        QUARTERLY_FRESHNESS,
    ),
    DemoFlow(
        "MPS-POPULATION",
        "Tổng hợp dân cư",
        "Population summaries",
        "MPS",
        "NATIONAL-POPULATION-DB",
        ("POP",),
        "A",
        ANNUAL_FRESHNESS,
    ),
    DemoFlow(
        "EVN-POWER",
        "Phụ tải điện hằng ngày",
        "Daily power load",
        "EVN",
        "SCADA-EMS",
        ("POWER_DEMAND", "POWER_PEAK_LOAD"),
        "D",
        2 * DAY,
        direction="in",
        classification=Clearance.INTERNAL,
    ),
    DemoFlow(
        "NPSP-SERVICE",
        "Chất lượng phục vụ người dân, doanh nghiệp",
        "Public-service quality",
        "NPSP",
        "DVCQG",
        (
            "PUBLIC_SERVICE_SCORE",
            "DOSSIERS_RECEIVED",
            "DOSSIERS_ON_TIME_SHARE",
            "PROCEDURES_ONLINE_SHARE",
        ),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "MPS-TRAFFIC",
        "Tai nạn giao thông",
        "Traffic accidents",
        "MPS",
        "TRAFFIC-DB",
        ("TRAFFIC_ACCIDENTS", "TRAFFIC_DEATHS"),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "MPS-FIRES",
        "Cháy, nổ",
        "Fires and explosions",
        "MPS",
        "FIRE-DB",
        ("FIRES",),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "MAE-DISASTERS",
        "Thiệt hại do thiên tai",
        "Natural disaster losses",
        "MAE",
        "DISASTER-DB",
        ("DISASTER_DEATHS",),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "MOC-EXPRESSWAYS",
        "Đường cao tốc đưa vào khai thác",
        "Expressways in operation",
        "MOC",
        "INFRA-DB",
        ("EXPRESSWAY_KM",),
        "M",
        MONTHLY_FRESHNESS,
    ),
    DemoFlow(
        "MOH-INSURANCE",
        "Bao phủ bảo hiểm y tế",
        "Health insurance coverage",
        "MOH",
        "HEALTH-DB",
        ("HEALTH_INSURANCE_COVERAGE",),
        "A",
        ANNUAL_FRESHNESS,
    ),
    DemoFlow(
        "MAE-POVERTY",
        "Nghèo đa chiều, nông thôn mới",
        "Poverty and new rural communes",
        "MAE",
        "RURAL-DB",
        ("POVERTY_RATE_MD", "NEW_RURAL_COMMUNES_SHARE"),
        "A",
        ANNUAL_FRESHNESS,
    ),
    DemoFlow(
        "MOHA-COMMUNES",
        "Đơn vị hành chính cấp xã",
        "Communes",
        "MOHA",
        "ADMIN-UNITS",
        ("COMMUNES",),
        "A",
        ANNUAL_FRESHNESS,
    ),
)
PROVINCE_INDICATORS = ("RETAIL_SALES", "BUDGET_REVENUE", "PUBLIC_INVESTMENT_DISBURSED")
PROVINCE_FLOWS = 40 - len(NATIONAL_FLOWS)
# Which flows the demo shows in trouble, so the health page has something to say.
LATE = frozenset({"MAE-DISASTERS", "UBND-37-MONTHLY"})
FAILING = frozenset({"UBND-12-MONTHLY"})
NOT_STARTED = frozenset({"MOHA-COMMUNES"})


def demo_flows(session: Session, on: date) -> list[DemoFlow]:
    # The six centrally run cities first, then provinces by code.
    ordered = sorted(
        areas_on(session, on, level="province"),
        key=lambda area: (not area.name_vi.startswith("Thành phố"), area.code),
    )
    provinces = ordered[:PROVINCE_FLOWS]
    return list(NATIONAL_FLOWS) + [
        DemoFlow(
            f"UBND-{area.code}-MONTHLY",
            f"Báo cáo kinh tế - xã hội tháng: {area.name_vi}",
            f"Monthly socio-economic report: {area.name_en}",
            f"UBND-{area.code}",
            "LGSP",
            PROVINCE_INDICATORS,
            "M",
            MONTHLY_FRESHNESS,
            area=area.code,
        )
        for area in provinces
    ]


def build_exchange_demo(session: Session, as_of: datetime, progress: Progress) -> None:
    """Add the demo's exchange to a store that holds the demo figures."""
    flows = demo_flows(session, as_of.date())
    task = progress.add_task("exchange flows", total=len(flows))
    # A provider keeping several flows connects each from its own system.
    systems: dict[str, list[str]] = {}
    for flow in flows:
        systems.setdefault(flow.provider, [])
        if flow.system not in systems[flow.provider]:
            systems[flow.provider].append(flow.system)
    for provider, codes in systems.items():
        kept = [SystemSpec(code=code, name=code) for code in codes]
        save_member(session, MemberSpec(agency=provider, systems=kept))
    for flow in flows:
        save_flow(session, _spec(flow))
        _history(session, flow, as_of)
        progress.advance(task)


def _spec(flow: DemoFlow) -> FlowSpec:
    rules: dict[str, Any] = {"jump_warning": 0.5}
    return FlowSpec(
        code=flow.code,
        name_vi=flow.name_vi,
        name_en=flow.name_en,
        provider=flow.provider,
        provider_system=flow.system,
        direction=flow.direction,  # type: ignore[arg-type]
        indicators=list(flow.indicators),
        schedule=flow.schedule,
        freshness_minutes=flow.freshness,
        validation_mode="lenient" if flow.provider.startswith("UBND") else "strict",  # type: ignore[arg-type]
        classification=flow.classification,
        consumers=CONSUMERS,
        rules=rules,  # type: ignore[arg-type]
    )


def _history(session: Session, flow: DemoFlow, as_of: datetime) -> None:
    """The flow's last three deliveries, as the provider sent them."""
    if flow.code in NOT_STARTED:
        return
    flow_id = _flow_id(session, flow.code)
    agency_id = session.scalar(select(Agency.id).where(Agency.code == flow.provider))
    every = timedelta(minutes=min(flow.freshness // 2, 30 * DAY))
    last = as_of - (timedelta(minutes=flow.freshness * 2) if flow.code in LATE else every / 3)
    for step in range(3):
        received_at = last - every * (2 - step)
        content = _payload(session, flow, received_at)
        rejected = flow.code in FAILING
        digest = Payload(content, "text/csv", "").digest
        if session.get(RawPayload, digest) is None:
            session.add(
                RawPayload(
                    digest=digest,
                    media_type="text/csv",
                    size=len(content),
                    content=content,
                    received_at=received_at,
                )
            )
        rows = content.count(b"\n") - 1
        session.add(
            Inbound(
                flow_id=flow_id,
                agency_id=agency_id,
                transport="push",
                idempotency_key=f"{flow.code}-{received_at:%Y%m%d%H%M}",
                payload_digest=digest,
                media_type="text/csv",
                payload_size=len(content),
                received_at=received_at,
                status="rejected" if rejected else "accepted",
                attempts=1,
                processed_at=received_at,
                row_count=rows,
                accepted_count=0 if rejected else rows,
                refused_count=rows if rejected else 0,
                receipt=json.dumps(_receipt(flow, received_at, rows, rejected)),
            )
        )
    session.flush()


def _flow_id(session: Session, code: str) -> int:
    from govops.exchange.models import ExchangeFlow

    return session.scalars(select(ExchangeFlow.id).where(ExchangeFlow.code == code)).one()


def _receipt(flow: DemoFlow, at: datetime, rows: int, rejected: bool) -> dict[str, Any]:
    refused = [{"row": 1, "field": "value", "reason": "is not a number", "value": "n/a"}]
    return {
        "flow": flow.code,
        "status": "rejected" if rejected else "accepted",
        "received_at": at.isoformat(),
        "rows": rows,
        "accepted": 0 if rejected else rows,
        "refused": rows if rejected else 0,
        "refused_rows": refused if rejected else [],
        "warnings": [],
        "stored": 0,
        "unchanged": 0 if rejected else rows,
    }


def _payload(session: Session, flow: DemoFlow, at: datetime) -> bytes:
    lines = ["indicator,area,period,value"]
    for code, period, value in latest_values(session, flow.indicators, flow.area, at):
        lines.append(f"{code},{flow.area},{period},{value}")
    return ("\n".join(lines) + "\n").encode()


def latest_values(
    session: Session, indicators: tuple[str, ...], area_code: str, at: datetime
) -> list[tuple[str, str, str]]:
    """(indicator, period code, value) of each indicator's latest value in the area."""
    found = []
    for code in indicators:
        indicator = session.scalar(select(Indicator).where(Indicator.code == code))
        area_ids = select(Area.id).where(Area.code == area_code)
        row = session.execute(
            select(Observation.period_start, Observation.value)
            .join(Series, Series.id == Observation.series_id)
            .where(
                Series.indicator_id == (indicator.id if indicator else -1),
                Series.area_id.in_(area_ids),
                Series.dims_key == "",
                Observation.recorded_at <= at,
            )
            .order_by(Observation.period_start.desc(), Observation.recorded_at.desc())
            .limit(1)
        ).first()
        if indicator is not None and row is not None and row.value is not None:
            period = Period(Frequency(indicator.frequency), row.period_start)
            found.append((code, period.code, str(row.value)))
    return found


# --- simulated agencies ---------------------------------------------------------------

# Real schedules are days to years; the simulation pushes every few seconds to minutes.
SIMULATED_SECONDS = {"D": 20, "W": 40, "M": 60, "Q": 120, "A": 300}


def simulate_agencies(
    sessions: sessionmaker[Session], base_url: str, stop: threading.Event | None = None
) -> threading.Thread:
    """Start pushing each push flow's data on an accelerated schedule, in the background,
    until ``stop`` is set (or the process ends)."""
    keys = _provider_keys(sessions)
    thread = threading.Thread(
        target=_simulate,
        args=(sessions, base_url, keys, stop or threading.Event()),
        name="simulated-agencies",
        daemon=True,
    )
    thread.start()
    return thread


def _provider_keys(sessions: sessionmaker[Session]) -> dict[str, str]:
    keys = {}
    with transaction(sessions) as session:
        for flow in list_flows(session):
            agency = session.get(Agency, flow.provider_agency_id)
            if flow.transport != "push" or agency is None or agency.code in keys:
                continue
            request = KeyRequest(
                "simulated system (demo)",
                frozenset({Permission.DATA_WRITE}),
                now_utc() + timedelta(days=7),
            )
            keys[agency.code] = create_api_key(
                session, request, agency_id=agency.id, by=audit.COMMAND_LINE
            ).secret
    return keys


def _simulate(
    sessions: sessionmaker[Session], base_url: str, keys: dict[str, str], stop: threading.Event
) -> None:
    chance = random.Random(2026)
    next_push: dict[str, float] = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        _wait_until_up(client)
        while not stop.is_set():
            for code, provider, area, indicators, schedule in _push_flows(sessions):
                if stop.is_set():
                    break
                if time.monotonic() < next_push.get(code, 0) or provider not in keys:
                    continue
                next_push[code] = time.monotonic() + SIMULATED_SECONDS.get(schedule, 60) * (
                    0.5 + chance.random()
                )
                _push(sessions, client, code, keys[provider], area, indicators, chance)
            stop.wait(1)


def _wait_until_up(client: httpx.Client) -> None:
    for _ in range(120):
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)


def _push_flows(
    sessions: sessionmaker[Session],
) -> list[tuple[str, str, str, tuple[str, ...], str]]:
    with sessions() as session:
        codes = dict(session.execute(select(Agency.id, Agency.code)).all())
        found = []
        for flow in list_flows(session):
            if flow.transport != "push" or flow.code in NOT_STARTED:
                continue
            provider = codes[flow.provider_agency_id]
            area = provider.removeprefix("UBND-") if provider.startswith("UBND-") else NATION_CODE
            found.append((flow.code, provider, area, tuple(flow_indicators(flow)), flow.schedule))
        return found


def _push(
    sessions: sessionmaker[Session],
    client: httpx.Client,
    code: str,
    key: str,
    area: str,
    indicators: tuple[str, ...],
    chance: random.Random,
) -> None:
    with sessions() as session:
        values = latest_values(session, indicators, area, now_utc())
    if not values:
        return  # nothing known yet to revise
    lines = ["indicator,area,period,value,status"]
    for indicator, period, value in values:
        # A provisional revision within a per cent of the value known, as agencies send.
        revised = float(value) * (1 + chance.uniform(-0.01, 0.01))
        lines.append(f"{indicator},{area},{period},{revised:.1f},P")
    try:
        response = client.post(
            f"/api/v1/exchange/flows/{code}/deliveries",
            content=("\n".join(lines) + "\n").encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "text/csv"},
        )
        log.info("simulated %s pushed %s rows: %s", code, len(values), response.status_code)
    except httpx.HTTPError as error:
        log.warning("simulated %s could not push: %s", code, error)
