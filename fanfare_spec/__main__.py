"""`python -m fanfare_spec bundle`: rebuild the bundled JSON documents from the YAML sources."""

from __future__ import annotations

import json
import sys

from fanfare_spec import DOCUMENTS, bundle, path_of


def main(argv: list[str], *, recorded: bool = True) -> int:
    if argv[:1] != ["bundle"]:
        print("usage: python -m fanfare_spec bundle   (rewrites openapi/*.json from openapi/src/*.yaml)")
        return 2
    for name in DOCUMENTS:
        text = json.dumps(bundle(name, recorded=recorded), indent=1, ensure_ascii=False) + "\n"
        path_of(name).write_text(text, encoding="utf-8")
        print(f"wrote {path_of(name)} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
