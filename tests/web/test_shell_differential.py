"""Differential test: the shell's compiled parameter and body validators against openapi-core, the
authority on the spec, on thousands of generated requests (schemathesis positive and negative cases for
every operation of the real bundle, plus mutations of the positive ones).

Both sides get the same wire form (query string, JSON bytes). Verdicts are compared as valid/invalid.
Known, deliberate differences are excluded and counted (the test prints the counts with `-s`):

* lenient casts: openapi-core casts query strings with Python's `int()`/`float()`/truthy words, so it
  accepts ` 1`, `+1`, `1_0`, `nan`, `yes`, `on`; the shell accepts only JSON-like spellings.
* empty query values: openapi-core applies `allowEmptyValue`'s default (false) and rejects `?search=`;
  the shell lets the schema decide (schemathesis generates and expects `""` for such parameters).
* formats openapi-core cannot check here: it validates `uri` only with `rfc3987` installed (it is not)
  and `email` with a bare `@` test; the shell checks formats with jsonschema-rs (Valibot, on the real
  server, checks them too). A disagreement that vanishes when the shell's formats are off is counted
  as `format <name>`; any other disagreement fails the test.

* streamed bodies (the CSV upload, `text/csv`): the shell hands them to the handler unread, which parses
  the CSV; openapi-core has no `text/csv` deserializer and judges the raw bytes against `type: string`.

Operations with neither a body nor query parameters are not sampled: their only parameters are plain
string path ids (RECONCILIATION D3), which both sides accept by construction.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import fanfare_spec
from mock_server.web.bodies import BodyLimits, media_type_of, parse_json
from mock_server.web.envelopes import DetailsEnvelope
from mock_server.web.families import Families
from mock_server.web.operations import (
    CompiledOperation,
    OperationSource,
    collect_operations,
    compile_operation,
)
from mock_server.web.rejections import Rejection
from mock_server.web.validators import SchemaCompiler

# The bundle is committed and openapi-core/schemathesis are dependencies: missing is a failure, not a skip.
assert fanfare_spec.path_of("fanfare").is_file(), "run python -m fanfare_spec bundle"

import openapi_core  # noqa: E402
import schemathesis  # noqa: E402
from openapi_core.testing import MockRequest  # noqa: E402
from openapi_core.validation.request.exceptions import MissingRequestBody  # noqa: E402
from openapi_core.validation.request.validators import (  # noqa: E402
    V31RequestBodyValidator,
    V31RequestParametersValidator,
)
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from werkzeug.datastructures import ImmutableMultiDict  # noqa: E402

#: Examples per operation and generation mode; generation cost grows faster than linearly with it
#: (4 keeps the test near 20 s). `FANFARE_DIFFERENTIAL_EXAMPLES=12` for a deeper local run.
EXAMPLES_PER_MODE = int(os.environ.get("FANFARE_DIFFERENTIAL_EXAMPLES", "4"))
HOST = "http://127.0.0.1:4010"
_LENIENT_INT = re.compile(r"-?[0-9]+")
_LENIENT_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@dataclass(frozen=True)
class Sample:
    operation_id: str
    origin: str
    path_values: dict[str, str]
    query_string: bytes
    body: bytes | None
    content_type: str | None


async def _never(call: Any) -> Any:  # pragma: no cover - handlers are not called here
    raise AssertionError


class Oracle:
    """openapi-core's verdicts, through its public V31 parameter and body validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        api = openapi_core.OpenAPI.from_dict(document)
        self._parameters = V31RequestParametersValidator(api.spec, base_url=None)
        self._body = V31RequestBodyValidator(api.spec, base_url=None)

    def _request(self, source: OperationSource, sample: Sample) -> MockRequest:
        request = MockRequest(
            HOST,
            source.operation.method,
            _concrete(source.operation.path, sample.path_values),
            path_pattern=source.operation.path,
            view_args=sample.path_values,
            headers={"Content-Type": sample.content_type} if sample.content_type else {},
            data=sample.body,
            content_type=sample.content_type or "",
        )
        request.parameters.query = ImmutableMultiDict(
            parse_qsl(sample.query_string.decode("latin-1"), keep_blank_values=True)
        )
        request.body = sample.body or None  # no bytes on the wire is no body, not an empty JSON text
        return request

    def parameters_valid(self, source: OperationSource, sample: Sample) -> bool:
        return not list(self._parameters.iter_errors(self._request(source, sample)))

    def body_valid(self, source: OperationSource, sample: Sample) -> bool:
        # The body-only validator reports an absent optional body as `MissingRequestBody`; openapi-core's
        # full request validation (and HTTP) treat that as fine.
        errors = self._body.iter_errors(self._request(source, sample))
        return not [error for error in errors if type(error) is not MissingRequestBody]


def _concrete(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", httpx.URL("/" + value).raw_path.decode()[1:] or "x")
    return template


def _shell_parameters_valid(compiled: CompiledOperation, sample: Sample) -> bool:
    if compiled.parameters is None:
        return True
    return not compiled.parameters.parse(sample.path_values, sample.query_string, {}).problems


def _shell_body_valid(compiled: CompiledOperation, sample: Sample) -> bool:
    """The shell's body verdict, step for step as `Shell._prepare` takes it."""
    spec = compiled.body
    if spec is None:
        return True
    media_type = media_type_of(sample.content_type.encode("latin-1")) if sample.content_type else ""
    entry = spec.select(media_type) if media_type else None
    if media_type and entry is None:
        return False
    if not sample.body:
        return not spec.required
    if entry is None:
        return False
    try:
        body = parse_json(sample.body, BodyLimits())
    except Rejection:
        return False
    return entry.validator is None or not entry.validator.problems(body)


# -- generating samples ---------------------------------------------------------------------------


def _sample_of(source: OperationSource, case: Any, origin: str) -> Sample | None:
    kwargs = case.as_transport_kwargs(base_url=HOST)
    query = httpx.QueryParams(kwargs.get("params") or {})
    body: bytes | None = None
    content_type = None
    if "json" in kwargs:
        try:
            body = json.dumps(kwargs["json"], allow_nan=False, ensure_ascii=False).encode()
        except (ValueError, TypeError):
            return None
        content_type = "application/json"
    elif kwargs.get("data") is not None or kwargs.get("content") is not None:
        raw = kwargs.get("content", kwargs.get("data"))
        body = raw if isinstance(raw, bytes) else str(raw).encode()
        content_type = kwargs.get("headers", {}).get("Content-Type")
    path_values = {name: str(value) for name, value in (case.path_parameters or {}).items()}
    if any(not value or "/" in value for value in path_values.values()):
        return None  # would not route to this operation at all
    return Sample(source.operation.operation_id, origin, path_values, str(query).encode(), body, content_type)


def _mutations(sample: Sample, query_names: list[str]) -> list[Sample]:
    """Hand-made (mostly invalid) neighbours of a valid sample: each breaks at most one rule."""
    found: list[Sample] = []
    pairs = parse_qsl(sample.query_string.decode(), keep_blank_values=True)
    if query_names:
        for garbage in ("abc", "-1", "1.5", "x" * 300, "[]"):
            mutated = [(pairs[0][0], garbage), *pairs[1:]] if pairs else [(query_names[0], garbage)]
            found.append(_replace(sample, "mutated query", query_string=httpx.QueryParams(mutated)))
        for garbage in ("first=abc", "first=0", "first=101", "first=7", "search=" + "x" * 300):
            query_string = sample.query_string + b"&" + garbage.encode()
            found.append(_replace(sample, "mutated query", query_string=query_string))
    if sample.body is not None and sample.content_type == "application/json":
        value = orjson.loads(sample.body)
        candidates: list[Any] = [None, [value], "text", 5]
        if isinstance(value, dict):
            for index, key in enumerate(list(value)[:3]):
                candidates.append({k: v for k, v in value.items() if k != key})
                for wrong in ((None, 12345), ("", []), ({}, True))[index]:
                    candidates.append({**value, key: wrong})
            candidates.append({**value, "unexpectedField": 1})
        for candidate in candidates:
            found.append(_replace(sample, "mutated body", body=orjson.dumps(candidate)))
        found.append(_replace(sample, "mutated body", body=b""))
        found.append(_replace(sample, "mutated body", content_type="text/plain"))
    return found


def _replace(sample: Sample, origin: str, **changes: Any) -> Sample:
    fields = {**sample.__dict__, "origin": origin, **changes}
    if isinstance(fields["query_string"], httpx.QueryParams):
        fields["query_string"] = str(fields["query_string"]).encode()
    return Sample(**fields)


def _generate(
    schema: Any, sources: dict[str, OperationSource], compiled: dict[str, CompiledOperation]
) -> list[Sample]:
    samples: list[Sample] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operation_id = operation.definition.raw["operationId"]
        source, shell = sources[operation_id], compiled[operation_id]
        query_names = [spec.name for spec in shell.parameters.query] if shell.parameters else []
        if shell.body is None and not query_names:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in _draw(operation.as_strategy(generation_mode=mode)):
                sample = _sample_of(source, case, str(mode.value))
                if sample is not None:
                    samples.append(sample)
                    if mode is GenerationMode.POSITIVE:
                        samples.extend(_mutations(sample, query_names))
    return samples


def _streamed(compiled: CompiledOperation, sample: Sample) -> bool:
    assert compiled.body is not None
    if not sample.content_type:
        return False
    entry = compiled.body.select(media_type_of(sample.content_type.encode("latin-1")))
    return entry is not None and not entry.is_json


def _failed_format(compiled: CompiledOperation, sample: Sample) -> str:
    assert compiled.body is not None and sample.body is not None
    entry = compiled.body.select("application/json")
    assert entry is not None and entry.validator is not None
    problems = entry.validator.problems(orjson.loads(sample.body))
    formats = {
        item.expected
        for item in problems
        if item.message.startswith("Invalid format") and not item.expected.startswith("/")
    }
    return ", ".join(sorted(formats)) or "(not named)"


def _draw(strategy: Any) -> list[Any]:
    drawn: list[Any] = []

    @settings(
        max_examples=EXAMPLES_PER_MODE,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(case=strategy)
    def draw(case: Any) -> None:
        drawn.append(case)

    draw()
    return drawn


def _excluded(compiled: CompiledOperation, sample: Sample) -> str | None:
    """The reason this parameter sample falls under a documented, deliberate difference, if it does."""
    if compiled.parameters is None:
        return None
    wire: dict[str, str] = dict(parse_qsl(sample.query_string.decode("latin-1"), keep_blank_values=True))
    for spec in compiled.parameters.query:
        value = wire.get(spec.name)
        if value is None:
            continue
        if value == "" and not spec.is_array:
            return "empty query value"
        if "integer" in spec.types and not _LENIENT_INT.fullmatch(value):
            try:
                int(value)
                return "lenient int() cast"
            except ValueError:
                pass
        if "number" in spec.types and not _LENIENT_NUMBER.fullmatch(value):
            try:
                float(value)
                return "lenient float() cast"
            except ValueError:
                pass
        if "boolean" in spec.types and value.lower() in (
            "y",
            "yes",
            "t",
            "on",
            "1",
            "n",
            "no",
            "f",
            "off",
            "0",
            "True",
            "FALSE",
        ):
            return "lenient boolean cast"
    return None


def test_compiled_validators_agree_with_openapi_core(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.perf_counter()
    verdicts: Counter[str] = Counter()
    excluded: Counter[str] = Counter()
    disagreements: list[str] = []
    total = 0
    for name in fanfare_spec.DOCUMENTS:
        document = fanfare_spec.load(name)
        sources = {
            source.operation.operation_id: source for source in collect_operations([document], Families())
        }
        compiled = _compile_all(sources, SchemaCompiler([document]))
        formatless = _compile_all(sources, SchemaCompiler([document], validate_formats=False))
        oracle = Oracle(document)
        samples = _generate(schemathesis.openapi.from_dict(document), sources, compiled)
        total += len(samples)
        for sample in samples:
            source, shell = sources[sample.operation_id], compiled[sample.operation_id]
            # a mutation changes one part; the other is the positive sample's, already compared
            if shell.parameters is not None and sample.origin != "mutated body":
                reason = _excluded(shell, sample)
                if reason is not None:
                    excluded[reason] += 1
                else:
                    mine, theirs = (
                        _shell_parameters_valid(shell, sample),
                        oracle.parameters_valid(source, sample),
                    )
                    verdicts[f"parameters {'valid' if theirs else 'invalid'}"] += 1
                    if mine != theirs:
                        disagreements.append(f"parameters {sample}: shell {mine}, openapi-core {theirs}")
            if shell.body is not None and sample.origin != "mutated query":
                if _streamed(shell, sample):
                    excluded["streamed body"] += 1
                    continue
                mine, theirs = _shell_body_valid(shell, sample), oracle.body_valid(source, sample)
                if mine != theirs and _shell_body_valid(formatless[sample.operation_id], sample) == theirs:
                    excluded[f"format {_failed_format(shell, sample)}"] += 1
                    continue
                verdicts[f"body {'valid' if theirs else 'invalid'}"] += 1
                if mine != theirs:
                    disagreements.append(f"body {sample}: shell {mine}, openapi-core {theirs}")
    with capsys.disabled():
        print(
            f"\ndifferential: {total} requests, {dict(verdicts)}, excluded {dict(excluded)}, "
            f"{time.perf_counter() - started:.1f} s"
        )
    assert total >= 1000
    assert verdicts["body valid"] and verdicts["body invalid"] and verdicts["parameters invalid"]
    assert not disagreements, f"{len(disagreements)} disagreements:\n" + "\n".join(disagreements[:15])


def _compile_all(
    sources: dict[str, OperationSource], compiler: SchemaCompiler
) -> dict[str, CompiledOperation]:
    return {
        operation_id: compile_operation(source, compiler, DetailsEnvelope(), _never)
        for operation_id, source in sources.items()
    }
