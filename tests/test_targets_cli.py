"""`govops targets …` and `govops alerts …` run as a user would, on a SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govops.cli import app
from govops.core.settings import get_settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GOVOPS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    invoke("init", "--no-communes")
    yield tmp_path
    get_settings.cache_clear()


def invoke(*arguments: str):
    return runner.invoke(app, list(arguments), catch_exceptions=False)


def test_the_national_targets_load_once_and_list_with_their_status(data_dir):
    first = invoke("targets", "national")
    second = invoke("targets", "national")
    listed = invoke("targets", "list", "--year", "2026")

    assert "17 target(s) created, 0 unchanged" in first.output
    assert "0 target(s) created, 17 unchanged" in second.output
    assert "GDP_GROWTH_A" in listed.output
    assert "at least 10" in listed.output
    assert "unknown" in listed.output  # no figures in this store


def test_a_file_with_a_bad_row_is_refused_naming_the_row(data_dir):
    path = data_dir / "targets.csv"
    path.write_text(
        "indicator,area,period,comparator,low,source\n"
        "RETAIL_SALES,01,2026,at_least,1000,Hanoi plan\n"
        "GDP_GROWTH_Q,VN,2026,at_least,8,Hanoi plan\n",
        encoding="utf-8",
    )

    result = invoke("targets", "load", str(path))

    assert result.exit_code == 1
    assert "row 2, period" in result.output
    assert "time rule 'none'" in result.output


def test_thresholds_are_shown_and_set(data_dir):
    shown = invoke("targets", "thresholds")
    changed = invoke("targets", "thresholds", "--on-track-from", "0.8")
    refused = invoke("targets", "thresholds", "--off-track-below", "0.9")

    assert "on track from 0.7, off track below 0.3" in shown.output
    assert "on track from 0.8, off track below 0.3" in changed.output
    assert refused.exit_code == 1


def test_alerts_check_runs_every_check_and_reports_what_it_found(data_dir):
    figures = data_dir / "retail.csv"
    figures.write_text(
        "indicator,area,period,value\nRETAIL_SALES,01,2026-M01,100\nRETAIL_SALES,01,2026-M02,130\n",
        encoding="utf-8",
    )
    invoke("data", "load", str(figures))
    added = invoke(
        "alerts", "rule", "threshold", "RETAIL_SALES", "01", "--params", '{"above": 120}'
    )

    first = invoke("alerts", "check", "--today", "2026-03-10")
    again = invoke("alerts", "check", "--today", "2026-03-10")
    listed = invoke("alerts", "list")

    assert "rule 1 added" in added.output
    assert "1 new warning(s), 0 still open, 0 closed" in first.output
    assert "0 new warning(s), 1 still open, 0 closed" in again.output
    assert "vượt lên trên ngưỡng 120" in listed.output
