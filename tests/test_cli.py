"""The command line, run as a user would, against a SQLite store in a temporary folder."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openpyxl
import pytest
from typer.testing import CliRunner

from govops.cli import app
from govops.core.settings import get_settings
from test_exchange_support import free_port

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


def test_init_creates_the_store_and_a_second_init_changes_nothing(data_dir):
    first = invoke("init", "--no-communes")
    second = invoke("init", "--no-communes")
    assert first.exit_code == 0, first.output
    assert "indicators" in first.output
    assert (data_dir / "data" / "govops.sqlite").exists()
    assert "0 created, 0 updated" in second.output
    assert "first administrator: admin, password" in first.output
    assert "first administrator" not in second.output


def test_a_csv_loads_and_exports_to_xlsx(data_dir):
    invoke("init", "--no-communes")
    source = data_dir / "retail.csv"
    source.write_text(
        "indicator,area,period,value\nRETAIL_SALES,01,2025-M01,100.5\n"
        "RETAIL_SALES,01,2025-M02,90\n",
        encoding="utf-8",
    )
    loaded = invoke("data", "load", str(source))
    exported = invoke(
        "data", "export", "RETAIL_SALES", "--area", "01", "-o", str(data_dir / "retail.xlsx")
    )
    assert loaded.exit_code == 0, loaded.output
    assert "stored 2 rows" in loaded.output
    assert exported.exit_code == 0, exported.output
    sheet = openpyxl.load_workbook(data_dir / "retail.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("indicator", "area", "area_name_vi", "period", "value")
    assert rows[1][3:5] == ("2025-M01", 100.5)


def test_a_rejected_file_exits_non_zero_and_names_the_row(data_dir):
    invoke("init", "--no-communes")
    source = data_dir / "bad.csv"
    source.write_text("indicator,area,period,value\nRETAIL_SALES,01,2025-M01,abc\n")
    result = invoke("data", "load", str(source))
    assert result.exit_code == 1
    assert "row 1, value: is not a number" in result.output


def test_the_catalogue_exports_and_loads_back_unchanged(data_dir):
    invoke("init", "--no-communes")
    target = data_dir / "catalogue.yaml"
    assert invoke("catalog", "export", str(target)).exit_code == 0
    result = invoke("catalog", "load", str(target))
    assert result.exit_code == 0, result.output
    assert "updated indicators" not in result.output


def test_every_command_explains_itself_with_help():
    for command in (
        ["--help"],
        ["init", "--help"],
        ["demo", "--help"],
        ["serve", "--help"],
        ["catalog", "load", "--help"],
        ["data", "load", "--help"],
        ["data", "export", "--help"],
        ["db", "upgrade", "--help"],
    ):
        result = invoke(*command)
        assert result.exit_code == 0
        assert "Usage" in result.output


def test_db_check_finds_an_observation_whose_series_is_gone(data_dir):
    invoke("init", "--no-communes")
    source = data_dir / "retail.csv"
    source.write_text("indicator,area,period,value\nRETAIL_SALES,01,2025-M01,100.5\n")
    invoke("data", "load", str(source))
    sound = invoke("db", "check")
    assert sound.exit_code == 0, sound.output
    assert "1 observations: 0 without their series, 0 without their submission" in sound.output

    # Only a hand-made write outside govops' writers can do this.
    database = sqlite3.connect(data_dir / "data" / "govops.sqlite")
    with database:
        database.execute("PRAGMA foreign_keys=OFF")
        database.execute("UPDATE observation SET series_id = series_id + 1000")
    database.close()
    broken = invoke("db", "check")
    assert broken.exit_code == 1
    assert "1 without their series, 0 without their submission" in broken.output


def test_serve_with_two_workers_answers_from_two_processes(data_dir):
    invoke("init", "--no-communes")
    port = free_port()
    command = [sys.executable, "-m", "govops.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "2"],
        env={**os.environ, "GOVOPS_DATA_DIR": str(data_dir / "data")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(_children(server.pid)) < 2 or not _healthy(port):
            assert server.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "two workers did not start"
            time.sleep(0.2)
        assert all(_healthy(port) for _ in range(10))
    finally:
        server.terminate()
        server.wait(timeout=30)


def _children(pid: int) -> list[str]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += (task / "children").read_text().split()
    return found


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
