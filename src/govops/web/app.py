"""The application factory: one FastAPI app with every domain's routes."""

from __future__ import annotations

import gc
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

import govops
from govops.alerts.routes import router as alerts_router
from govops.catalog.routes import router as catalog_router
from govops.core.api import problem, problem_for, problem_for_period
from govops.core.db import create_db_engine, session_factory
from govops.core.errors import GovopsError
from govops.core.migrate import is_up_to_date
from govops.core.periods import PeriodError
from govops.core.settings import Settings, get_settings
from govops.datastore.answers import AnswerCache
from govops.datastore.routes import router as datastore_router
from govops.exchange.routes import router as exchange_router
from govops.exchange.scheduler import embedded_scheduler
from govops.forecasting.routes import router as forecasting_router
from govops.security.bodylimit import BodySizeLimit
from govops.security.errors import NotAuthenticated, PermissionDenied, TooManyRequests
from govops.security.routes import router as security_router
from govops.security.web import record_refusal
from govops.targets.routes import router as targets_router
from govops.tasks.routes import router as tasks_router
from govops.web.docs import add_docs_page
from govops.web.pages import install_pages

log = logging.getLogger("govops.web")

# Everything the product serves comes from this server; nothing may frame it.
# Plotly.js sets empty style attributes on its maps; the hash of the empty string allows
# exactly that and no other inline style.
EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
STRICT_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    f"style-src-attr 'unsafe-hashes' {EMPTY_STYLE}; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The documentation page serves Swagger UI from this server too (govops.web.docs).
DOCS_PATH = "/api/v1/docs"


# Young objects collected every this many allocations (Python's default: 700).
GC_YOUNG_THRESHOLD = 20_000


def create_served_app(settings: Settings | None = None) -> FastAPI:
    """The application as ``govops serve`` runs it, in each of its processes."""
    application = create_app(settings)
    tune_collector()
    return application


def tune_collector() -> None:
    """Set the garbage collector for a long-running server, once its code is loaded.

    Everything loaded so far lives as long as the process: moved out of the collector's
    sight, it is not walked again by every full collection, which otherwise adds tens of
    milliseconds to one answer in twenty. An answer of ten years for 34 provinces makes
    tens of thousands of objects, nearly all freed with it; at the default threshold the
    collector ran forty times for one answer and the slowest answers doubled. An object
    kept a little longer costs nothing by comparison.
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="govops API",
        version=govops.__version__,
        summary="Indicators, areas with their history, and observations with every vintage.",
        description=_API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=embedded_scheduler,
    )
    engine = create_db_engine(settings.resolved_database_url)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.settings = settings
    app.state.answers = AnswerCache(settings.answer_cache_bytes)

    _register_errors(app)
    # Inside the request log (added after it), so that its refusal reaches the route as it
    # is. Exchange deliveries stream their bodies against a larger limit of their own.
    app.add_middleware(BodySizeLimit, limit=settings.max_body_bytes, exempt=_streams_its_own_body)
    app.middleware("http")(_request_log)
    app.include_router(catalog_router)
    app.include_router(datastore_router)
    app.include_router(tasks_router)
    app.include_router(targets_router)
    app.include_router(forecasting_router)
    app.include_router(alerts_router)
    app.include_router(exchange_router)
    app.include_router(security_router)
    add_docs_page(app, DOCS_PATH)
    _register_probes(app)
    install_pages(app)
    return app


_API_DESCRIPTION = """
Every operation but the probes needs `Authorization: Bearer <token>` (an API key or a
personal access token); each names the permission it needs. Indicators above the
caller's clearance answer as unknown. Every answer in JSON; data also as CSV and XLSX
(`?format=` or `Accept`). Errors are RFC 9457 problem details
(`application/problem+json`) whose `errors` list names each refused row and field.
Periods use SDMX codes: `2025-03-15`, `2025-W11`, `2025-M03`, `2025-Q1`, `2025-S1`,
`2025`, `2021-01-01/P5Y`. An area code is read on a date: code 24 was Bắc Giang before
1 July 2025 and is Bắc Ninh after it.
"""


def _register_errors(app: FastAPI) -> None:
    @app.exception_handler(GovopsError)
    async def _govops(request: Request, error: GovopsError) -> JSONResponse:
        log.info("refused %s %s: %s", request.method, request.url.path, error.code)
        if isinstance(error, NotAuthenticated | PermissionDenied):
            await _record_refusal(request, error)
        response = problem_for(error, request)
        if isinstance(error, NotAuthenticated):
            # RFC 9110 11.6.1: a 401 names the scheme that would be accepted.
            response.headers["WWW-Authenticate"] = 'Bearer realm="govops"'
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(PeriodError)
    async def _period(request: Request, error: PeriodError) -> JSONResponse:
        return problem_for_period(error, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(part) for part in item["loc"]), "reason": item["msg"]}
            for item in error.errors()
        ]
        first = errors[0] if errors else {"field": "?", "reason": "invalid"}
        return problem(
            400,
            "invalid-request",
            "Invalid request",
            f"{first['field']}: {first['reason']}",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = "not-found" if error.status_code == 404 else "http-error"
        return problem(
            error.status_code,
            code,
            str(error.detail),
            str(error.detail),
            instance=request.url.path,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        # The trace goes to the log with the request id; the caller gets no internals.
        log.error("server error on %s %s", request.method, request.url.path, exc_info=error)
        response = problem(
            500,
            "internal-error",
            "Internal error",
            "the server could not answer; the error was logged",
            instance=request.url.path,
        )
        # Server errors are answered outside the middleware, which cannot add these.
        _add_security_headers(request, response)
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            response.headers["X-Request-Id"] = request_id
        return response


def _streams_its_own_body(path: str) -> bool:
    return path.startswith("/api/v1/exchange/flows/") and path.endswith("/deliveries")


async def _record_refusal(request: Request, error: GovopsError) -> None:
    try:
        await run_in_threadpool(record_refusal, request, error)
    except Exception:
        # The refusal is still answered; the missing audit entry is for operators to see.
        log.exception("could not record the refusal of %s %s", request.method, request.url.path)


async def _request_log(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    request.state.request_id = request_id
    started = time.perf_counter()
    refused = _refuse_nul_characters(request)
    response = refused or await call_next(request)
    elapsed_ms = (time.perf_counter() - started) * 1000
    response.headers["X-Request-Id"] = request_id
    _add_security_headers(request, response)
    log.info(
        "%s %s %s %.1fms",
        request.method,
        request.url.path,
        response.status_code,
        elapsed_ms,
        extra={
            "request_id": request_id,
            "status": response.status_code,
            "duration_ms": round(elapsed_ms, 1),
        },
    )
    return response


def _refuse_nul_characters(request: Request) -> JSONResponse | None:
    # No text column of either database can hold a NUL character; PostgreSQL refuses it
    # with an error that would otherwise surface as a server error.
    named = "path" if "\x00" in request.url.path else None
    named = named or next(
        (
            key
            for key, value in request.query_params.multi_items()
            if "\x00" in key or "\x00" in value
        ),
        None,
    )
    if named is None:
        return None
    return problem(
        400,
        "invalid-request",
        "Invalid request",
        f"{named}: text may not contain the NUL character",
        instance=request.url.path,
    )


def _add_security_headers(request: Request, response: Response) -> None:
    response.headers["Content-Security-Policy"] = STRICT_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"


def _register_probes(app: FastAPI) -> None:
    @app.get("/health", tags=["probes"])
    def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/ready", tags=["probes"], responses={503: {"description": "Not ready"}})
    def ready() -> JSONResponse:
        """The database answers and its schema is at the current migration."""
        try:
            with app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            migrated = is_up_to_date(app.state.engine)
        except Exception as error:  # any failure at all means not ready
            log.warning("not ready: %s", type(error).__name__)
            return problem(503, "not-ready", "Not ready", "the database does not answer")
        if not migrated:
            return problem(
                503,
                "not-ready",
                "Not ready",
                "the database schema is not up to date; run `govops db upgrade`",
            )
        return JSONResponse({"status": "ready"})
