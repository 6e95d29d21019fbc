"""The catalogue file loads idempotently, reports changes, and exports loadably."""

from __future__ import annotations

import copy

import pytest

from govops.catalog.catalogue_file import (
    CatalogueFileError,
    dump_catalogue,
    export_catalogue,
    load_catalogue,
    parse_catalogue,
    read_reference_catalogue,
)
from govops.catalog.service import find_indicators, get_indicator
from govops.core.db import transaction


def test_loading_the_reference_catalogue_again_reports_no_change(fresh_store):
    with transaction(fresh_store.sessions) as session:
        report = load_catalogue(session, read_reference_catalogue())
    assert not report.changed
    assert report.kind("indicators").unchanged >= 40


def test_an_edited_name_is_reported_as_updated_and_stored(fresh_store):
    document = copy.deepcopy(read_reference_catalogue())
    cpi = next(item for item in document["indicators"] if item["code"] == "CPI")
    cpi["name_en"] = "Consumer price index (all items)"
    with transaction(fresh_store.sessions) as session:
        report = load_catalogue(session, document)
    assert report.kind("indicators").updated == ["CPI"]
    with fresh_store.session() as session:
        assert get_indicator(session, "CPI").name_en == "Consumer price index (all items)"


def test_an_export_loads_back_without_any_change(fresh_store):
    with fresh_store.session() as session:
        text = dump_catalogue(export_catalogue(session))
    with transaction(fresh_store.sessions) as session:
        report = load_catalogue(session, parse_catalogue(text, source="export"))
    assert not report.changed


def test_search_ignores_diacritics_and_case(store):
    with store.session() as session:
        codes = [i.code for i in find_indicators(session, text="chi so gia tieu dung")]
        assert "CPI" in codes
        assert "CPI" in [i.code for i in find_indicators(session, text="CHỈ SỐ GIÁ")]
        assert "EXPORTS" in [i.code for i in find_indicators(session, text="xuat khau")]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unit", "NO_SUCH_UNIT", "unit 'NO_SUCH_UNIT' is not defined"),
        ("frequency", "X", "frequency 'X' is not one of"),
        ("area_rule", "median", "area_rule 'median' is not one of"),
        ("formula", "EXPORTS - NOWHERE", "formula 'NOWHERE' is not defined"),
    ],
)
def test_a_bad_indicator_names_its_position_code_and_field(field, value, message):
    document = copy.deepcopy(read_reference_catalogue())
    document["indicators"][0][field] = value
    text = dump_catalogue(document)
    with pytest.raises(CatalogueFileError) as raised:
        parse_catalogue(text, source="edited.yaml")
    code = document["indicators"][0]["code"]
    assert f"edited.yaml: indicator 1 ({code})" in raised.value.detail
    assert message in raised.value.detail


def test_a_file_that_is_not_yaml_is_refused_with_its_name():
    with pytest.raises(CatalogueFileError, match=r"broken\.yaml is not valid YAML"):
        parse_catalogue("indicators: [\n  - {code: A", source="broken.yaml")
