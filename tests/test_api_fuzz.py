"""Property-based fuzzing of every API operation with schemathesis, against the app in-process:
no answer is a server error, and every documented answer matches its schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Any:
    """Requests here go through the WSGI handler, not Django's test client, so do what the test
    client does: keep request signals from closing the connection the test transaction holds."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def auth(manager: Any, ae: Any) -> dict[str, str]:
    from partnerships.services.tokens import api_token_create

    # Some rows for the operations to find; generated ids mostly miss, which is fine too.
    partnership = f.PartnershipFactory.create(lead_country=ae)
    f.SiteFactory.create(partnership=partnership)
    f.CommitmentFactory.create(partnership=partnership)
    f.RequirementFactory.create(partnership=partnership)
    _token, key = api_token_create(user=manager, name="fuzzing")
    return {"Authorization": f"Token {key}"}


def _load_schema() -> Any:
    """The schema the app serves at /api/schema/, generated in-process, calls sent to the app."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    spec = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
    loaded = schemathesis.openapi.from_dict(spec)
    loaded.app = get_wsgi_application()
    return loaded


schema = _load_schema()


@schema.parametrize()
@settings(
    max_examples=10,
    # Random generation only: the coverage phase (run with "explicit") enumerates boundary cases
    # for every parameter and takes minutes per operation; CI keeps well under its time budget.
    phases=[Phase.generate],
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_operation(case: Any, auth: dict[str, str]) -> None:
    case.call_and_validate(headers=auth, checks=CHECKS)
