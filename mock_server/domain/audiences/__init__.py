"""Audiences: the audience record, its rules and predicate, membership sets, paging and loyalty tiers."""

from __future__ import annotations

from mock_server.domain.audiences.audience import (
    UNSET,
    Audience,
    AudienceInput,
    AudiencePatch,
    AudienceStatus,
    AudienceSyncStatus,
    AudienceType,
    GroupType,
    RulePatch,
)
from mock_server.domain.audiences.membership import (
    EMPTY,
    AudienceCount,
    CountSource,
    MemberSet,
    Positions,
    as_positions,
)
from mock_server.domain.audiences.paging import (
    MAX_PAGE_SIZE,
    Page,
    PageRequest,
    decode_cursor,
    encode_cursor,
    select,
)
from mock_server.domain.audiences.predicate import (
    Predicate,
    compile_rules,
)
from mock_server.domain.audiences.rules import (
    APPLICABLE,
    MAX_GROUPS,
    MAX_RULES,
    CheckedRule,
    Operator,
    Rule,
    RuleInput,
    arity,
    build_rules,
    check,
    check_inputs,
    ordered,
    provisional_rules,
)
from mock_server.domain.audiences.snapshot import (
    audience_in,
    audience_out,
    members_in,
)
from mock_server.domain.audiences.tiers import (
    TierGroup,
    TierGroupInput,
    TierInput,
    create_tier_group,
    update_tier_group,
)

__all__ = (
    "APPLICABLE",
    "EMPTY",
    "MAX_GROUPS",
    "MAX_PAGE_SIZE",
    "MAX_RULES",
    "UNSET",
    "Audience",
    "AudienceCount",
    "AudienceInput",
    "AudiencePatch",
    "AudienceStatus",
    "AudienceSyncStatus",
    "AudienceType",
    "CheckedRule",
    "CountSource",
    "GroupType",
    "MemberSet",
    "Operator",
    "Page",
    "PageRequest",
    "Positions",
    "Predicate",
    "Rule",
    "RuleInput",
    "RulePatch",
    "TierGroup",
    "TierGroupInput",
    "TierInput",
    "arity",
    "as_positions",
    "audience_in",
    "audience_out",
    "build_rules",
    "check",
    "check_inputs",
    "compile_rules",
    "create_tier_group",
    "decode_cursor",
    "encode_cursor",
    "members_in",
    "ordered",
    "provisional_rules",
    "select",
    "update_tier_group",
)
