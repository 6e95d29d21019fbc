"""The forecasting API: fans, stored forecasts, past forecasts, runs and accuracy."""

from __future__ import annotations

from govops.security.permissions import Role
from tests.api_helpers import assert_problem, bearer, open_client, person_token
from tests.test_forecast_service import seasonal, write

FORECASTS = "/api/v1/forecasts"
RUNS = "/api/v1/forecast-runs"


def test_the_forecast_fan_of_a_series_has_points_with_both_intervals(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(94))
    with open_client(store) as client:
        response = client.get(FORECASTS, params={"indicator": "RETAIL_SALES", "area": "01"})
        again = client.get(FORECASTS, params={"indicator": "RETAIL_SALES", "area": "01"})
    assert response.status_code == 200, response.text
    fan = response.json()
    assert again.json()["id"] == fan["id"]
    assert fan["last_observed"] == "2025-M10"
    assert fan["points"][0]["period"] == "2025-M11"
    assert fan["points"][-1]["period"] == "2026-M12"
    first = fan["points"][0]
    assert first["lo95"] <= first["lo80"] <= first["mean"] <= first["hi80"] <= first["hi95"]
    assert fan["model"] in fan["backtest"]


def test_a_stored_forecast_and_what_it_said_for_a_period_can_be_read_back(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(94))
    with open_client(store) as client:
        made = client.get(FORECASTS, params={"indicator": "RETAIL_SALES", "area": "01"}).json()
        stored = client.get(f"{FORECASTS}/{made['id']}")
        history = client.get(
            f"{FORECASTS}/history",
            params={"indicator": "RETAIL_SALES", "area": "01", "period": "2026-M12"},
        )
        missing = client.get(f"{FORECASTS}/999999")
    assert stored.json()["points"] == made["points"]
    [past] = history.json()
    assert past["forecast"] == made["id"] and past["step"] == 14
    assert past["point"] == made["points"][-1]
    assert_problem(missing, 404, "not-found")


def test_a_series_too_short_answers_a_problem_naming_why(store):
    write(store, "RETAIL_SALES", "01", "2025-M01", ["100"])
    with open_client(store) as client:
        response = client.get(FORECASTS, params={"indicator": "RETAIL_SALES", "area": "01"})
    body = assert_problem(response, 400, "series-too-short")
    assert "at least 3" in body["detail"]


def test_starting_a_run_needs_the_forecasts_run_permission(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(60))
    viewer = person_token(store, "viewer.hoa", role=Role.VIEWER, agency="VPCP")
    with open_client(store) as client:
        refused = client.post(RUNS, json={"indicators": ["RETAIL_SALES"]}, headers=bearer(viewer))
        started = client.post(RUNS, json={"indicators": ["RETAIL_SALES"]})
        listed = client.get(RUNS, headers=bearer(viewer))
        detail = client.get(f"{RUNS}/{started.json()['id']}")
    assert refused.status_code == 403
    assert started.status_code == 201, started.text
    assert started.json()["series"] == 2 and started.json()["refused"] == 1
    assert listed.json()[0]["id"] == started.json()["id"]
    [failure] = detail.json()["failures"]
    assert failure["model"] is None and "value(s) known" in failure["reason"]


def test_the_accuracy_record_lists_realised_errors_by_indicator_and_model(store):
    write(store, "RETAIL_SALES", "01", "2018-M01", seasonal(90))
    with open_client(store) as client:
        made = client.get(FORECASTS, params={"indicator": "RETAIL_SALES", "area": "01"}).json()
        write(store, "RETAIL_SALES", "01", "2025-M07", seasonal(92)[90:])
        client.post(RUNS, json={"indicators": ["RETAIL_SALES"]})
        records = client.get("/api/v1/forecast-accuracy").json()
    assert [(r["indicator"], r["model"], r["points"]) for r in records] == [
        ("RETAIL_SALES", made["model"], 2)
    ]
