"""`govops forecast …` run as a user would, against a SQLite store in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govops.cli import app
from govops.core.periods import Period
from govops.core.settings import get_settings
from tests.test_forecast_service import seasonal

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVOPS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("GOVOPS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def invoke(*arguments: str):
    return runner.invoke(app, list(arguments), catch_exceptions=False)


def load_retail_sales(folder: Path) -> None:
    start = Period.parse("2018-M01")
    lines = ["indicator,area,period,value"] + [
        f"RETAIL_SALES,01,{start.shift(i).code},{value}" for i, value in enumerate(seasonal(96))
    ]
    path = folder / "retail.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert invoke("data", "load", str(path)).exit_code == 0


def test_forecast_run_follow_show_and_accuracy_from_the_command_line(data_dir):
    invoke("init", "--no-communes")
    load_retail_sales(data_dir)

    ran = invoke("forecast", "run", "--indicator", "RETAIL_SALES")
    followed = invoke("forecast", "follow", "--once")
    idle = invoke("forecast", "follow", "--once")
    shown = invoke("forecast", "show", "RETAIL_SALES", "01", "--horizon", "3")
    accuracy = invoke("forecast", "accuracy")

    assert ran.exit_code == 0, ran.output
    # The nation is summed from its provinces, and only Hà Nội has values: refused.
    assert "run 1 on serial: 1 of 2 series forecast, 1 refused" in ran.output
    assert "1 of 2 series forecast" in followed.output
    assert "no new data" in idle.output
    assert "2026-M01" in shown.output and "lowest backtest error" in shown.output
    assert "no forecast has met its actuals yet" in accuracy.output


def test_an_unknown_indicator_fails_with_the_reason(data_dir):
    invoke("init", "--no-communes")
    result = invoke("forecast", "show", "NOPE", "VN")
    assert result.exit_code == 1
    assert "'NOPE' is not in the catalogue" in result.output
