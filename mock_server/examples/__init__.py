"""Recorded examples: the success answers of every operation, taken from the mock's own world.

`fanfare-mock spec --record-examples` drives a fresh, deterministic mock in-process (seed 0, the clock
frozen at 2025-01-01) through a realistic flow on both families and the control plane, validates every
body against its response schema, and writes them to `openapi/src/recorded-examples.yaml`, which the
bundle (`python -m fanfare_spec bundle`) merges into `openapi/fanfare.json` and `openapi/mock.json`.
Running it twice writes the same file; `tests/spec/test_recorded_examples.py` fails when it is stale.
"""

from __future__ import annotations

from typing import Any

from mock_server.examples.recorder import Recorded, Recorder, RecordingError

__all__ = ["EXAMPLES_FILE", "Recorded", "RecordingError", "record", "record_examples", "render"]

EXAMPLES_FILE = "recorded-examples.yaml"
KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
BASE_URL = "http://127.0.0.1:4010"

_HEADER = """\
# The success examples of every operation, recorded from the mock's own world by
#   fanfare-mock spec --record-examples
# (a fresh mock in-process: seed 0, 1,000 consumers, the clock frozen at 2025-01-01T00:00:00Z; the flow
# is mock_server/examples/). Do not edit by hand: re-record. `python -m fanfare_spec bundle` merges them
# into openapi/fanfare.json and openapi/mock.json as named examples (`Prefer: example=NAME` answers them).
# An upload URL's signature is random per run: the recorder writes a stable stand-in of the same form.
"""


def record() -> list[Recorded]:
    """Run the flow on a fresh mock and return what it recorded (raises `RecordingError` on a surprise)."""
    import fanfare_spec
    from mock_server.app import create_app
    from mock_server.client import InProcessClient
    from mock_server.examples.admin_flow import guide_flow, reference_flow
    from mock_server.examples.control_flow import control_flow

    documents = {name: fanfare_spec.bundle(name, recorded=False) for name in fanfare_spec.DOCUMENTS}
    app = create_app(seed=0, public_url=BASE_URL)
    with InProcessClient(app, base_url=BASE_URL, headers={"authorization": f"Bearer {KEY}"}) as client:
        rec = Recorder(client, documents)
        for kind in ("import", "sync"):
            rec.send(
                "PUT", f"/_mock/jobs/{kind}/progression", 200, json={"secretKey": KEY, "mode": "immediate"}
            )
        guide_flow(rec)
        reference_flow(rec)
        control_flow(rec, KEY)
    return rec.records


def render(records: list[Recorded]) -> str:
    """The examples file: by document, operationId (in the documents' order), status, media type, name."""
    import yaml

    import fanfare_spec

    tree: dict[str, dict[str, Any]] = {}
    for name in fanfare_spec.DOCUMENTS:
        order = [
            operation["operationId"]
            for item in fanfare_spec.bundle(name, recorded=False)["paths"].values()
            for operation in item.values()
            if isinstance(operation, dict) and "operationId" in operation
        ]
        mine = [record for record in records if record.document == name]
        section: dict[str, Any] = {}
        for operation_id in order:
            for record in (r for r in mine if r.operation_id == operation_id):
                media = section.setdefault(operation_id, {}).setdefault(record.status, {})
                media.setdefault(record.media_type, {})[record.name] = record.entry()
        tree[name] = section
    body = yaml.dump(tree, Dumper=_dumper(), sort_keys=False, allow_unicode=True, width=110)
    return _HEADER + body


def record_examples() -> int:
    """The CLI's `spec --record-examples`: bundle without the recorded examples (the mock serves the
    bundled documents, and the old examples may name what no longer exists), record into the source
    file, bundle again with them. Exit status 1 when the flow fails: nothing is changed."""
    import sys

    import fanfare_spec
    from fanfare_spec.__main__ import main as bundle

    if not fanfare_spec.source_dir().is_dir():
        print("fanfare-mock: --record-examples needs a source checkout (openapi/src)", file=sys.stderr)
        return 2
    before = {name: fanfare_spec.path_of(name).read_text(encoding="utf-8") for name in fanfare_spec.DOCUMENTS}
    bundle(["bundle"], recorded=False)
    try:
        records = record()
    except RecordingError as error:
        for name, text in before.items():
            fanfare_spec.path_of(name).write_text(text, encoding="utf-8")
        print(f"fanfare-mock: recording failed, nothing changed: {error}", file=sys.stderr)
        return 1
    path = fanfare_spec.source_dir() / EXAMPLES_FILE
    path.write_text(render(records), encoding="utf-8")
    print(f"wrote {path} ({len(records)} examples)")
    return bundle(["bundle"])


def _dumper() -> Any:
    """YAML for people: lists of plain values on one line (`values: [5]`), text of several lines as a
    literal block."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def sequence(dumper: yaml.SafeDumper, items: list[Any]) -> Any:
        flat = all(not isinstance(item, (dict, list)) for item in items)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat)

    def text(dumper: yaml.SafeDumper, value: str) -> Any:
        block = "\n" in value and not any(line != line.rstrip() for line in value.splitlines())
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if block else None)

    Dumper.add_representer(list, sequence)
    Dumper.add_representer(str, text)
    return Dumper
