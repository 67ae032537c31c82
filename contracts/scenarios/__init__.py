"""The scripted business scenarios. Importing the package registers every scenario in `REGISTRY`."""

from __future__ import annotations

from contracts.scenarios import (
    audiences,
    auth,
    errors,
    experiences,
    groups,
    imports,
    members,
    read_back,
    rule_crud,
    sync,
    tiers,
)
from contracts.scenarios.base import REGISTRY, Scenario, ScenarioContext, ScenarioFailure, ScenarioSkip

__all__ = [
    "REGISTRY",
    "Scenario",
    "ScenarioContext",
    "ScenarioFailure",
    "ScenarioSkip",
    "audiences",
    "auth",
    "errors",
    "experiences",
    "groups",
    "imports",
    "members",
    "read_back",
    "rule_crud",
    "sync",
    "tiers",
]
