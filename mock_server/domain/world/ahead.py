"""Evaluation ahead: what a request is about to materialize (a new rule set, the stale sets of the dynamic
audiences it reads) evaluated first in bounded slices, each `next()` one, so that the web shell can let
other requests in between and the request itself then finds the work done. Nothing an answer shows
changes: only the shared materializations are brought up to date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mock_server.domain.audiences import Audience, AudienceInput, AudienceType, RuleInput, provisional_rules
from mock_server.domain.kernel import NotFound, Steps
from mock_server.domain.world import materializer
from mock_server.domain.world.audience_registry import AudienceRegistry
from mock_server.domain.world.member_sets import MemberSets

#: Audiences looked at per slice of `reads` (thousands that share one rule set add up).
LOOKED_AT = 256


class Ahead:
    """One tenant's evaluations ahead."""

    def __init__(self, audiences: AudienceRegistry, sets: MemberSets) -> None:
        self._audiences = audiences
        self._sets = sets

    def create(self, data: AudienceInput) -> Steps[None]:
        """For `audiences.create(data)`: a dynamic audience's rules over the consumers."""
        if data.type is not AudienceType.DYNAMIC or not self._sliced(len(data.rules)):
            return
        if rules := provisional_rules(data.rules):
            yield from self._sets.warm_rules(rules)

    def rules(self, audience_id: str, inputs: Sequence[RuleInput], *, replace: bool) -> Steps[None]:
        """For rules added to (or, `replace`, replacing) a dynamic audience's rules."""
        audience = self._dynamic(audience_id)
        if audience is None or not self._sliced(len(inputs) + (0 if replace else len(audience.rules))):
            return
        if rules := provisional_rules(inputs, () if replace else audience.rules):
            yield from self._sets.warm_rules(rules)

    def reads(self, audience_ids: Iterable[str] | None = None) -> Steps[None]:
        """For reads of audiences (all, or those named): the stale sets of the dynamic ones."""
        ids = self._audiences.audience_ids() if audience_ids is None else list(audience_ids)
        for k, audience_id in enumerate(ids, 1):
            audience = self._dynamic(audience_id)
            if audience is not None and self._sets.stale(audience):
                yield from self._sets.warm(audience)  # (audiences that mean the same find it done)
            if not k % LOOKED_AT:
                yield

    def _sliced(self, rules: int) -> bool:
        """Whether evaluating that many rules takes more than one slice (else the request does it)."""
        return len(self._sets.consumers) * rules > materializer.SLICE_WORK

    def _dynamic(self, audience_id: str) -> Audience | None:
        try:
            audience = self._audiences.observe(audience_id)
        except NotFound:  # (the request itself answers that)
            return None
        return audience if audience.type is AudienceType.DYNAMIC else None
