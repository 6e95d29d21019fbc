"""Every operation of the OpenAPI document, called with generated input as an administrator.

schemathesis draws a bounded number of requests per operation, valid and invalid, and
checks each answer: never a server error, and always the shape the document declares.
It runs on one database of its own, PostgreSQL when the tests have it (the stricter of
the two: it refuses NUL characters in text and integers past 64 bits).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.config import SchemathesisConfig

from api_helpers import administrator_token, bearer
from conftest import POSTGRES_URL, Store, make_store
from govops.web.app import create_app

# Operations that never end by design: an event stream stays open for its subscriber.
ENDLESS = "/api/v1/exchange/stream"
EXAMPLES_PER_OPERATION = 8


@pytest.fixture(scope="module")
def schema_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    backend = "postgres" if POSTGRES_URL else "sqlite"
    store, drop = make_store(backend, tmp_path_factory.mktemp("schema"))
    yield store
    store.engine.dispose()
    drop()  # type: ignore[operator]


@pytest.fixture(scope="module")
def administrator(schema_store: Store) -> dict[str, str]:
    return bearer(administrator_token(schema_store))


@pytest.fixture(scope="module")
def api_schema(schema_store: Store) -> Iterator[Any]:
    app = create_app(schema_store.settings(api_request_burst=1_000_000))
    # The coverage phase walks every boundary of every parameter: hundreds of requests
    # per operation, past the budget; the examples and the fuzzing phases stay.
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=config)
    yield schema.exclude(path=[ENDLESS])
    app.state.engine.dispose()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    # A failure is reported as found: shrinking it costs minutes per operation.
    phases=[Phase.explicit, Phase.generate],
)
def test_no_operation_answers_a_server_error_or_breaks_its_schema(
    case: Any, administrator: dict[str, str]
) -> None:
    case.call_and_validate(
        headers=administrator, checks=[not_a_server_error, response_schema_conformance]
    )


def test_every_excluded_operation_is_still_in_the_document(api_schema: Any) -> None:
    # An exclusion outliving its operation would hide the next one given that path.
    assert ENDLESS in api_schema.raw_schema["paths"]
