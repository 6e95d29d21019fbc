"""The API documentation page: Swagger UI served from this server, started by a file.

The page, its script and its styles all come from here, so it keeps the strict
Content-Security-Policy of every other page and works with no internet.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_FILES = Path(__file__).parent / "static" / "swagger"
SWAGGER_URL = "/static/swagger"


def add_docs_page(app: FastAPI, path: str) -> None:
    """Serve Swagger UI's files and the page at ``path`` for the app's OpenAPI document."""
    app.mount(SWAGGER_URL, StaticFiles(directory=SWAGGER_FILES), name="swagger")
    openapi_url = escape(app.openapi_url or "", quote=True)
    title = escape(app.title)
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{SWAGGER_URL}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{SWAGGER_URL}/swagger-ui-bundle.js"></script>
<script src="{SWAGGER_URL}/govops-docs.js"></script>
</body>
</html>
"""

    async def docs_page(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    app.add_route(path, docs_page, include_in_schema=False)
