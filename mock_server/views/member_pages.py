"""Members pages as a dialect renders them, with the rendered consumers of recent pages remembered.

Rendering a consumer (thirty fields, three timestamps) costs far more than finding it, and clients page
through the same members again and again. The memo is keyed by the consumer table itself (weakly: it
goes with the table) and by the table's revision (any consumer change starts it afresh), so it is a pure
cache of a projection, never a second source of truth.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from weakref import WeakKeyDictionary

from mock_server.domain.audiences import Page
from mock_server.domain.consumers import ConsumerTable
from mock_server.domain.world import Organization
from mock_server.views.dialect import Dialect

#: Rendered consumers remembered per table and family (least recently used go first).
MEMO_SIZE = 8192

_Memo = tuple[int, OrderedDict[int, dict[str, Any]]]
_MEMOS: WeakKeyDictionary[ConsumerTable, dict[str, _Memo]] = WeakKeyDictionary()


def members_page(d: Dialect, org: Organization, page: Page[int]) -> dict[str, Any]:
    table = org.consumers
    by_family = _MEMOS.setdefault(table, {})
    revision, rendered = by_family.get(d.family, (-1, OrderedDict()))
    if revision != table.revision:
        rendered = OrderedDict()
        by_family[d.family] = (table.revision, rendered)
    missing = [p for p in page.items if p not in rendered]
    for record in table.records(missing) if missing else ():
        rendered[record.position] = d.consumer(record)
    data = []
    for position in page.items:
        rendered.move_to_end(position)
        data.append(rendered[position])
    while len(rendered) > MEMO_SIZE:
        rendered.popitem(last=False)
    return {"data": data, "pageInfo": {"startCursor": page.start_cursor, "endCursor": page.end_cursor}}
