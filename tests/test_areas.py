"""Areas keep every version; a code is read on a date; lineage joins the versions."""

from __future__ import annotations

from datetime import date

import pytest

from govops.catalog.areas import (
    MERGER_2025,
    area_at,
    areas_on,
    load_reference_areas,
    predecessors_of,
    record_area_change,
    successors_of,
)
from govops.core.db import transaction
from govops.core.errors import NotFound

BEFORE = date(2025, 6, 30)


def test_the_nation_has_63_provinces_before_the_merger_and_34_after(store):
    with store.session() as session:
        assert len(areas_on(session, BEFORE, level="province")) == 63
        assert len(areas_on(session, MERGER_2025, level="province")) == 34


def test_code_24_is_bac_giang_before_the_merger_and_bac_ninh_after(store):
    with store.session() as session:
        before = area_at(session, "24", BEFORE)
        after = area_at(session, "24", MERGER_2025)
    assert before.name_vi == "Tỉnh Bắc Giang"
    assert after.name_vi == "Bắc Ninh"
    assert before.id != after.id


def test_new_bac_ninh_has_old_bac_giang_and_old_bac_ninh_as_predecessors(store):
    with store.session() as session:
        new = area_at(session, "24", MERGER_2025)
        names = [old.name_vi for old, _edge in predecessors_of(session, new)]
    assert names == ["Tỉnh Bắc Giang", "Tỉnh Bắc Ninh"]


def test_an_unchanged_province_keeps_one_version_across_the_merger(store):
    with store.session() as session:
        assert area_at(session, "01", BEFORE).id == area_at(session, "01", MERGER_2025).id


def test_a_code_that_ended_names_what_it_became(store):
    with store.session() as session, pytest.raises(NotFound) as raised:
        area_at(session, "27", date(2025, 8, 1))
    assert "became part of 24 Bắc Ninh on 2025-07-01" in raised.value.detail


def test_an_unknown_code_says_it_does_not_exist(store):
    with store.session() as session, pytest.raises(NotFound, match="'99' does not exist"):
        area_at(session, "99", BEFORE)


def test_loading_the_areas_again_changes_nothing(store):
    with transaction(store.sessions) as session:
        report = load_reference_areas(session, include_communes=False)
    assert (report.created, report.updated, report.lineage_created) == (0, 0, 0)


def test_a_province_becoming_a_city_keeps_its_code_and_its_history(fresh_store):
    effective = date(2026, 3, 1)
    with transaction(fresh_store.sessions) as session:
        city = record_area_change(
            session,
            code="75",
            effective=effective,
            kind="city",
            name_vi="Thành phố Đồng Nai",
            name_en="Dong Nai City",
        )
    with fresh_store.session() as session:
        province = area_at(session, "75", date(2026, 2, 28))
        assert province.kind == "province"
        assert area_at(session, "75", effective).id == city.id
        assert [s.id for s in successors_of(session, province)] == [city.id]
        assert len(areas_on(session, effective, level="province")) == 34
