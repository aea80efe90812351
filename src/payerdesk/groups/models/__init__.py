"""The groups models, one module per feature; Django finds them all through this package."""

from payerdesk.groups.models.changes import (
    ChangeChannel,
    ChangeStatus,
    ChangeType,
    PolicyChange,
    PolicyEvent,
    PremiumChange,
    ReinstatementReason,
    RuleOutcome,
    TerminationReason,
    UnderwritingRuleSet,
)
from payerdesk.groups.models.groups import (
    AgeRule,
    EmployerGroup,
    GroupStatus,
    PlanDesign,
    Product,
    RateBasis,
    RateRow,
    SetupStep,
    Tier,
)
from payerdesk.groups.models.imports import CensusFile, EnrollmentFile, ImportJob
from payerdesk.groups.models.members import (
    Coverage,
    CoverageQuerySet,
    CoverageStatus,
    Member,
    Relationship,
)

__all__ = [
    "AgeRule",
    "CensusFile",
    "ChangeChannel",
    "ChangeStatus",
    "ChangeType",
    "Coverage",
    "CoverageQuerySet",
    "CoverageStatus",
    "EmployerGroup",
    "EnrollmentFile",
    "GroupStatus",
    "ImportJob",
    "Member",
    "PlanDesign",
    "PolicyChange",
    "PolicyEvent",
    "PremiumChange",
    "Product",
    "RateBasis",
    "RateRow",
    "ReinstatementReason",
    "Relationship",
    "RuleOutcome",
    "SetupStep",
    "TerminationReason",
    "Tier",
    "UnderwritingRuleSet",
]
