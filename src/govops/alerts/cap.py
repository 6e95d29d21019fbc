"""Public warnings as CAP 1.2 messages (OASIS Common Alerting Protocol, version 1.2).

One ``alert`` with two ``info`` blocks, Vietnamese (vi-VN) first and English (en-US)
second, each naming the same areas. A province is given by its code as a geocode
(``VN-PROVINCE``, the unit codes of Decision 19/2025/QĐ-TTg) and by a polygon (see
:mod:`govops.alerts.geo`); the nation by the ISO 3166-1 code VN alone, as a polygon of
the whole country says nothing a receiver could use.

Mapping of our terms to CAP's:

- severity: ours are CAP's, capitalised;
- certainty: Observed for what the data shows (late figures, a threshold crossed, a
  missed target); Likely or Possible for a target at risk, by its probability of being
  missed;
- urgency: Future for a target whose period has not ended, Past for one that has,
  Expected otherwise;
- category: Other (CAP has no economic category).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from govops.alerts.checks import WarningKind
from govops.alerts.geo import cap_polygon, province_outline
from govops.alerts.models import EarlyWarning
from govops.alerts.service import evidence_of
from govops.catalog.areas import NATION_CODE, area_at
from govops.catalog.models import Area
from govops.core.db import now_utc
from govops.core.errors import InvalidRequest

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
GEOCODE_PROVINCE = "VN-PROVINCE"
GEOCODE_COUNTRY = "ISO3166-1"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class Issuer:
    sender: str = "canhbao@govops.gov.vn"
    name_vi: str = "Văn phòng Chính phủ"
    name_en: str = "Government Office of Viet Nam"


def cap_message(
    session: Session,
    warning: EarlyWarning,
    *,
    provinces: list[str] | None = None,
    issuer: Issuer | None = None,
    sent: datetime | None = None,
) -> bytes:
    """The warning as a CAP 1.2 alert, for its own area or the ``provinces`` named."""
    issuer = issuer or Issuer()
    moment = (sent or now_utc()).astimezone(VIETNAM)
    areas = _areas(session, warning, provinces, moment)

    ET.register_namespace("", CAP_NAMESPACE)
    alert = _element("alert")
    _text(alert, "identifier", f"govops-warning-{warning.id}")
    _text(alert, "sender", issuer.sender)
    _text(alert, "sent", _cap_time(moment))
    _text(alert, "status", "Actual")
    _text(alert, "msgType", "Alert")
    _text(alert, "scope", "Public")
    for language in ("vi", "en"):
        alert.append(_info(warning, language, issuer, areas))
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


def _areas(
    session: Session, warning: EarlyWarning, codes: list[str] | None, moment: datetime
) -> list[Area]:
    if codes:
        return [area_at(session, code, moment.date()) for code in codes]
    if warning.area_id is not None:
        return [session.get_one(Area, warning.area_id)]
    return [area_at(session, NATION_CODE, moment.date())]


def _info(warning: EarlyWarning, language: str, issuer: Issuer, areas: list[Area]) -> ET.Element:
    evidence = evidence_of(warning)
    vietnamese = language == "vi"
    info = _element("info")
    _text(info, "language", "vi-VN" if vietnamese else "en-US")
    _text(info, "category", "Other")
    _text(info, "event", _event(warning.kind, vietnamese))
    _text(info, "urgency", _urgency(warning, evidence))
    _text(info, "severity", warning.severity.capitalize())
    _text(info, "certainty", _certainty(warning, evidence))
    _text(info, "senderName", issuer.name_vi if vietnamese else issuer.name_en)
    _text(info, "headline", (warning.title_vi if vietnamese else warning.title_en)[:160])
    _text(info, "description", warning.title_vi if vietnamese else warning.title_en)
    action = evidence.get("proposed_action_vi" if vietnamese else "proposed_action_en")
    if action:
        _text(info, "instruction", action)
    if evidence.get("probability") is not None:
        parameter = _element("parameter")
        _text(parameter, "valueName", "probability_of_meeting_target")
        _text(parameter, "value", str(evidence["probability"]))
        info.append(parameter)
    for area in areas:
        info.append(_area(area, vietnamese))
    return info


def _area(area: Area, vietnamese: bool) -> ET.Element:
    element = _element("area")
    _text(element, "areaDesc", area.name_vi if vietnamese else area.name_en)
    if area.code == NATION_CODE:
        _geocode(element, GEOCODE_COUNTRY, NATION_CODE)
        return element
    if area.level != "province":
        raise InvalidRequest(
            f"area {area.code} is a {area.level}; CAP areas are provinces or the nation",
            field="provinces",
        )
    outline = province_outline(area.name_vi)
    if outline is not None:
        _text(element, "polygon", cap_polygon(outline))
    _geocode(element, GEOCODE_PROVINCE, area.code)
    return element


def _geocode(parent: ET.Element, name: str, value: str) -> None:
    geocode = _element("geocode")
    _text(geocode, "valueName", name)
    _text(geocode, "value", value)
    parent.append(geocode)


def _event(kind: str, vietnamese: bool) -> str:
    names = {
        WarningKind.TARGET_AT_RISK: (
            "Mục tiêu kế hoạch có nguy cơ không đạt",
            "Plan target at risk",
        ),
        WarningKind.DATA_LATE: ("Số liệu chậm", "Late figures"),
        WarningKind.THRESHOLD: ("Chỉ tiêu vượt ngưỡng", "Indicator past its threshold"),
        WarningKind.SUDDEN_CHANGE: ("Biến động bất thường", "Sudden change"),
        WarningKind.OUTSIDE_FORECAST: ("Ngoài khoảng dự báo", "Outside its forecast interval"),
    }
    vi, en = names[WarningKind(kind)]
    return vi if vietnamese else en


def _urgency(warning: EarlyWarning, evidence: dict[str, object]) -> str:
    if warning.kind != WarningKind.TARGET_AT_RISK:
        return "Expected"
    return "Past" if evidence.get("status") == "missed" else "Future"


def _certainty(warning: EarlyWarning, evidence: dict[str, object]) -> str:
    if warning.kind != WarningKind.TARGET_AT_RISK or evidence.get("status") == "missed":
        return "Observed"
    probability = evidence.get("probability")
    missing = 1 - float(probability) if isinstance(probability, int | float) else 0.5
    return "Likely" if missing > 0.5 else "Possible"


def _cap_time(moment: datetime) -> str:
    # CAP forbids "Z" and fractions of a second: 2026-12-03T20:00:00+07:00.
    return moment.replace(microsecond=0).isoformat()


def _element(name: str) -> ET.Element:
    return ET.Element(f"{{{CAP_NAMESPACE}}}{name}")


def _text(parent: ET.Element, name: str, value: str) -> None:
    child = ET.SubElement(parent, f"{{{CAP_NAMESPACE}}}{name}")
    child.text = value
