"""The API documentation page: Swagger UI from this server, under the strict policy."""

from __future__ import annotations

import warnings

import pytest
from playwright.sync_api import Browser

from conftest import Store
from govops.web.app import STRICT_POLICY, create_app
from served import served

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


def test_the_documentation_page_has_the_strict_policy_and_no_inline_script(store):
    app = create_app(store.settings())
    with TestClient(app) as client:
        page = client.get("/api/v1/docs")
        script = client.get("/static/swagger/swagger-ui-bundle.js")
    app.state.engine.dispose()

    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == STRICT_POLICY
    assert "'unsafe-inline'" not in STRICT_POLICY and "https:" not in STRICT_POLICY
    assert "<script>" not in page.text
    assert "https://" not in page.text
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text


def test_swagger_ui_shows_the_operations_with_nothing_fetched_from_elsewhere(
    store: Store, browser: Browser
) -> None:
    if store.backend != "sqlite":
        pytest.skip("the page does not depend on the database; one backend is enough")
    with served(create_app(store.settings()), lifespan="auto") as url:
        context = browser.new_context()
        page = context.new_page()
        problems: list[str] = []
        elsewhere: list[str] = []
        page.on("console", lambda message: problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "request",
            lambda sent: None if sent.url.startswith(url) else elsewhere.append(sent.url),
        )

        page.goto(f"{url}/api/v1/docs")
        page.wait_for_selector('[data-path="/api/v1/users"]', timeout=20_000)
        title = page.locator(".info .title").inner_text()
        context.close()

    assert title.startswith("govops API")
    assert [text for text in problems if "Content Security Policy" in text] == []
    assert elsewhere == []
