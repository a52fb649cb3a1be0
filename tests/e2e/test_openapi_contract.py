"""The OpenAPI document is the contract: schemathesis runs every operation of a real `roost serve`
(embedded, and scaled on PostgreSQL and Redis) with all its checks and expects no failure.

The run has users of its own: schemathesis logs in as one (an admin, so the analytics answer
200 too) through POST /sessions, and logs in again whenever a generated DELETE /sessions has
revoked its token (a 401 makes it fetch a new token and replay the request). GET /stream is
left out: it never ends (the notifications tests cover it); so is /graphql, whose contract is
its GraphQL schema (tests/e2e/test_graphql.py), not this document.

ROOST_TEST_FUZZ_EXAMPLES sets the examples per operation (`make fuzz`: 100).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL

from .conftest import _delete_redis_keys
from .support import (
    Server,
    ServerFactory,
    describe,
    fresh_postgres_database,
    new_account,
    scaled_env,
)

EXAMPLES = int(os.environ.get("ROOST_TEST_FUZZ_EXAMPLES", "8"))
SEED = 20261207
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "response_schema_conformance",
        "content_type_conformance",
        "response_headers_conformance",
    )
)
PASSWORD = "contract password"
SCHEMATHESIS = Path(sys.executable).with_name("st")
# Generated requests log in and post far more often than a person does.
LIMITS = {
    "ROOST_RATE_LIMIT_LOGINS_PER_MINUTE": "100000",
    "ROOST_RATE_LIMIT_POSTS_PER_MINUTE": "100000",
    "ROOST_RATE_LIMIT_ACTIONS_PER_MINUTE": "100000",
}


@pytest.fixture(params=["embedded", "scaled"])
def contract_server(
    request: pytest.FixtureRequest, start_server: ServerFactory, tmp_path: Path
) -> Iterator[Server]:
    if request.param == "embedded":
        yield start_server(f"sqlite:///{tmp_path / 'roost.db'}", env=LIMITS)
        return
    prefix = f"roost-contract-{uuid.uuid4().hex[:10]}:"
    with fresh_postgres_database() as url:
        try:
            yield start_server(url, env={**LIMITS, **scaled_env(REDIS_URL, prefix, worker_id=1)})
        finally:
            _delete_redis_keys(prefix)


def _admin(server: Server) -> str:
    """A fresh user of the run's own, made an admin; returns its handle."""
    handle = f"contract_{uuid.uuid4().hex[:12]}"
    response = server.client.post("/users", json={"handle": handle, "password": PASSWORD})
    assert response.status_code == 201, describe(response)
    granted = subprocess.run(
        [sys.executable, "-m", "roost", "admin", "grant", handle],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert granted.returncode == 0, granted.stderr
    return handle


def _config(path: Path, handle: str) -> Path:
    """schemathesis.toml: log in as `handle` for every secured operation."""
    path.write_text(
        "[auth.dynamic.openapi.bearer]\n"
        'path = "/sessions"\n'
        f'payload = {{ handle = "{handle}", password = "{PASSWORD}" }}\n'
        'extract_selector = "/token"\n'
    )
    return path


def test_every_operation_keeps_the_documented_contract(
    contract_server: Server, tmp_path: Path
) -> None:
    handle = _admin(contract_server)
    new_account(contract_server.client, "contract_peer")  # someone to follow and read
    command = [
        str(SCHEMATHESIS),
        "--no-color",
        "--config-file",
        str(_config(tmp_path / "schemathesis.toml", handle)),
        "run",
        f"{contract_server.url}/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--request-timeout",
        "10",
        "--generation-database",
        "none",
        "--exclude-path",
        "/stream",
        "--exclude-path",
        "/graphql",
    ]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=300 + 30 * EXAMPLES, check=False
    )
    contract_server.assert_running()
    assert run.returncode == 0, (
        f"schemathesis found failures:\n{run.stdout[-20000:]}\n{run.stderr[-3000:]}\n"
        f"--- server log ---\n{contract_server.logs()}"
    )
