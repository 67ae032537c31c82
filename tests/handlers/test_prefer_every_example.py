"""Every named example of every operation `Prefer` can reach is reachable: `Prefer: example=NAME` on a
valid call (the one the example recorder made) answers exactly that example's status and body, on both
families and the upload target. The examples are read from the bundled documents here, independently
of the mock's own reading (`mock_server.control.declared`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import fanfare_spec
from mock_server.app import create_app
from mock_server.client import InProcessClient
from mock_server.examples import KEY, record

METHODS = ("get", "put", "post", "delete", "patch")


def resolved(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def named_examples() -> Iterator[tuple[str, str, int, Any]]:
    """(operationId, example name, status, value) of every JSON example with a value that `Prefer`
    may answer: the Admin API's operations and the upload target."""
    for name in fanfare_spec.DOCUMENTS:
        document = fanfare_spec.load(name)
        for path, item in document["paths"].items():
            for method in METHODS:
                operation = item.get(method)
                if operation is None or (name == "mock" and not path.startswith("/_mock/uploads/")):
                    continue
                for status, response in operation["responses"].items():
                    for media_type, media in (resolved(document, response).get("content") or {}).items():
                        if "json" not in media_type:
                            continue
                        for example, node in (media.get("examples") or {}).items():
                            node = resolved(document, node)
                            if "value" in node:
                                yield operation["operationId"], example, int(status), node["value"]


EXAMPLES = list(named_examples())


@pytest.fixture(scope="module")
def calls() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """One valid request per operation: the first the recorder made (ids from its world)."""
    made: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for recorded in record():
        if recorded.request is not None:
            made.setdefault(recorded.operation_id, recorded.request)
    return made


@pytest.fixture(scope="module")
def client() -> Iterator[InProcessClient]:
    app = create_app(public_url="http://127.0.0.1:4010")
    with InProcessClient(
        app, base_url="http://127.0.0.1:4010", headers={"authorization": f"Bearer {KEY}"}
    ) as c:
        yield c


def test_the_walk_covers_both_families_and_every_kind_of_example() -> None:
    operations = {operation for operation, *_ in EXAMPLES}
    assert any(op.startswith(("getV1", "postV1")) for op in operations)
    assert "getAudiences" in operations and "putMockUploadsByImportId" in operations
    statuses = {status for *_, status, _ in EXAMPLES}
    assert {200, 201, 400, 401, 404, 409, 500, 503} <= statuses
    assert len(EXAMPLES) > 500


@pytest.mark.parametrize(
    ("operation_id", "name", "status", "value"),
    EXAMPLES,
    ids=[f"{operation}-{name}" for operation, name, *_ in EXAMPLES],
)
def test_prefer_example_answers_that_example(
    calls: dict[str, tuple[str, str, dict[str, Any]]],
    client: InProcessClient,
    operation_id: str,
    name: str,
    status: int,
    value: Any,
) -> None:
    assert operation_id in calls, f"the recorder made no call of {operation_id}"
    method, path, request = calls[operation_id]
    headers = {**(request.get("headers") or {}), "Prefer": f"example={name}"}
    answer = client.request(method, path, **{**request, "headers": headers})
    assert (answer.status_code, answer.json()) == (status, value)


def test_an_example_of_another_operation_is_refused_not_answered(client: InProcessClient) -> None:
    """The 404s are per operation: an experience read never answers the audience's 404 text (the shared
    V1NotFound once carried audience, group, tier group and experience examples)."""
    answer = client.get("/api/v1/experiences/x", headers={"Prefer": "example=audience"})
    assert answer.status_code == 400
    assert "has no example of that name" in answer.json()["error"]
    assert client.get("/api/v1/experiences/x", headers={"Prefer": "example=experience"}).json() == {
        "error": "Experience not found"
    }
    sync = client.post("/api/v1/audiences/x/sync", headers={"Prefer": "example=inProgress"})
    assert sync.status_code == 409
