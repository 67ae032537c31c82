"""A lookup from an identifier value (email, phone, external id) to the lowest position holding it; a
table's own changes layered over the index of the seed's generated values, which every table shares, its
few appended rows found by scanning them rather than indexed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

#: While a table has appended at most this many rows, a layer finds their values by searching the column's
#: appended values (one C-level list search) rather than keeping them in a dict of its own: an organization
#: that adds a few hundred consumers pays nothing for their index.
SCANNED = 512
#: The bits of a layer's filter of the values it scans for (4,096: at most SCANNED values set about one in
#: eight): a value whose bit is clear is not among them, and most lookups (new consumers) are such misses.
_FILTER_BITS = 4096


class ValueIndex:
    """Value -> position, with the rare shared value kept as a sorted list of holders."""

    __slots__ = ("_dups", "_one")

    def __init__(self) -> None:
        self._one: dict[str, int] = {}
        self._dups: dict[str, list[int]] = {}

    @classmethod
    def build(cls, values: Iterable[str | None]) -> ValueIndex:
        index = cls()
        keys = list(values)
        # fast path: one C-level dict build; iterating backwards keeps the lowest position of a value
        held: dict[str | None, int] = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
        held.pop(None, None)
        held.pop("", None)
        index._one = held  # type: ignore[assignment]  # no None key is left
        if len(index._one) != len(keys) - keys.count(None) - keys.count(""):  # some value is shared
            index._one = {}
            for position, value in enumerate(keys):
                if value:
                    index.add(value, position)
        return index

    def changed(
        self,
        generated: Sequence[str | None],
        values: Sequence[str | None],
        touched: Iterable[int],
        key: Callable[[str], str],
        tail: Sequence[str | None] | None = None,
    ) -> ValueIndex:
        """This index (over the `generated` values) for a column now holding `values`: a layer over it
        with the `touched` positions' changes and every position past the generated ones (keys made by
        `key`; `tail`: those positions' stored keys, live, see `LayeredIndex`). Cheaper than building it
        afresh: this one is shared, not copied."""
        index = LayeredIndex(self, len(generated), tail)
        for position in sorted(touched):
            old, new = generated[position], values[position]
            if old != new:
                if old is not None:
                    index.discard(key(old), position)
                if new is not None:
                    index.add(key(new), position)
        tail = values[len(generated) :]
        index.add_run([None if v is None else key(v) for v in tail], len(generated))
        return index

    def first(self, value: str) -> int | None:
        if self._dups:
            holders = self._dups.get(value)
            if holders:
                return holders[0]
        return self._one.get(value)

    def add_run(self, values: Sequence[str | None], start: int) -> None:
        """`add(values[i], start + i)` for each value that is not None, in order.

        One C-level update when every value is new and none repeats (an import's new consumers); the
        general case adds them one by one.
        """
        given: dict[str | None, int] = dict(zip(values, range(start, start + len(values)), strict=True))
        given.pop(None, None)
        given.pop("", None)
        unique = len(given) == len(values) - values.count(None) - values.count("")
        if unique and self._one.keys().isdisjoint(given) and self._dups.keys().isdisjoint(given):
            self._one.update(given)  # type: ignore[arg-type]  # no None key is left
            return
        for i, value in enumerate(values):
            if value is not None:
                self.add(value, start + i)

    def holds_any(self, values: Iterable[str]) -> bool:
        """Whether any of `values` has a holder (one C-level pass when no value is shared)."""
        values = set(values)
        return not self._one.keys().isdisjoint(values) or not self._dups.keys().isdisjoint(values)

    def add(self, value: str, position: int) -> None:
        if not value:
            return
        holders = self._dups.get(value)
        if holders is not None:
            if position not in holders:
                holders.append(position)
                holders.sort()
            return
        current = self._one.get(value)
        if current is None:
            self._one[value] = position
        elif current != position:
            del self._one[value]
            self._dups[value] = sorted((current, position))

    def discard(self, value: str, position: int) -> None:
        holders = self._dups.get(value)
        if holders is not None:
            if position in holders:
                holders.remove(position)
            if len(holders) == 1:
                self._one[value] = holders[0]
                del self._dups[value]
            return
        if self._one.get(value) == position:
            del self._one[value]


class LayeredIndex(ValueIndex):
    """A table's index over a shared one: its own values (what it added) on top, and the base's
    positions whose value it changed hidden. Reads as one index; the base is never written.

    `tail`, when given, is the column's values past the base as the table stores them (keys, live: the
    table writes a value there before it tells the index): while it holds at most SCANNED values they are
    searched, not indexed (a bit filter of the values given skips the search for most values not there);
    past that they are indexed once and from then on like any other."""

    __slots__ = ("_base", "_base_len", "_filter", "_hidden", "_tail")

    def __init__(self, base: ValueIndex, base_len: int, tail: Sequence[str | None] | None = None) -> None:
        super().__init__()
        self._base, self._base_len = base, base_len
        self._hidden: set[int] = set()  # base positions whose base value is no longer theirs
        self._tail = tail
        self._filter = bytearray(_FILTER_BITS // 8)  # a bit per hash: set for every value ever added there
        self._mark(tail or ())

    def first(self, value: str) -> int | None:
        found = super().first(value)
        base = self._base
        holders = base._dups.get(value) if base._dups else None
        if holders is None:
            held = base._one.get(value)
            holders = [] if held is None else [held]
        for position in holders:  # ascending
            if position not in self._hidden:
                return position if found is None or position < found else found
        if found is None and value and self._maybe(value) and self._scanning():  # (tail rows come last)
            try:
                return self._base_len + self._tail.index(value)  # type: ignore[union-attr]  # scanning
            except ValueError:
                return None
        return found

    def holds_any(self, values: Iterable[str]) -> bool:
        values = set(values)
        values.discard("")
        if super().holds_any(values):
            return True
        maybe = {v for v in values if self._maybe(v)}
        if maybe and self._scanning() and not maybe.isdisjoint(self._tail):  # type: ignore[arg-type]
            return True
        if not self._hidden:
            return self._base.holds_any(values)
        return any(self.first(v) is not None for v in values if self._base.holds_any((v,)))

    def add(self, value: str, position: int) -> None:
        if position < self._base_len or not self._scanning():
            super().add(value, position)
        else:
            self._mark((value,))

    def add_run(self, values: Sequence[str | None], start: int) -> None:
        if start < self._base_len or not self._scanning():
            super().add_run(values, start)
        else:
            self._mark(values)

    def discard(self, value: str, position: int) -> None:
        super().discard(value, position)
        if position < self._base_len:
            self._hidden.add(position)

    def _scanning(self) -> bool:
        """Whether the appended values are searched (not indexed); past SCANNED of them, they are
        indexed here, once."""
        tail = self._tail
        if tail is None:
            return False
        if len(tail) <= SCANNED:
            return True
        self._tail = None
        super().add_run(list(tail), self._base_len)
        return False

    def _mark(self, values: Iterable[str | None]) -> None:
        bits = self._filter
        for value in values:
            if value:
                bit = hash(value) & (_FILTER_BITS - 1)
                bits[bit >> 3] |= 1 << (bit & 7)

    def _maybe(self, value: str) -> bool:
        """False when `value` was never added to the tail (it cannot be there); True when it may be."""
        bit = hash(value) & (_FILTER_BITS - 1)
        return bool(self._filter[bit >> 3] & (1 << (bit & 7)))
