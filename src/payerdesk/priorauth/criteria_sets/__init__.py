"""The demo criteria sets shipped as package data, with the catalog naming their drugs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class DemoDrug:
    rxcui: str
    name: str


@dataclass(frozen=True)
class DemoCriteriaSet:
    slug: str
    title: str
    request_type: str  # prior_authorization, non_formulary_exception, quantity_limit_exception
    drugs: tuple[DemoDrug, ...]
    questionnaire: str  # JSON text, as an admin would upload it
    decision: str  # JSON text (GoRules JDM)


def _text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def demo_criteria_sets() -> list[DemoCriteriaSet]:
    """Every set in catalog.json, with its two files read."""
    catalog: dict[str, Any] = json.loads(_text("catalog.json"))
    return [
        DemoCriteriaSet(
            slug=entry["slug"],
            title=entry["title"],
            request_type=entry["request_type"],
            drugs=tuple(DemoDrug(d["rxcui"], d["name"]) for d in entry["drugs"]),
            questionnaire=_text(f"{entry['slug']}.questionnaire.json"),
            decision=_text(f"{entry['slug']}.decision.json"),
        )
        for entry in catalog["sets"]
    ]
