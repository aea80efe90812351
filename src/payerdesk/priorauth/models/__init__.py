"""priorauth's models, one module per feature; Django finds them through this package."""

from payerdesk.priorauth.models.criteria import CriteriaDrug, CriteriaSet
from payerdesk.priorauth.models.formulary import Drug, FormularyDrug, FormularyVersion
from payerdesk.priorauth.models.letters import Letter
from payerdesk.priorauth.models.prescribers import Prescriber, PrescriberChange
from payerdesk.priorauth.models.requests import (
    OPEN_STATUSES,
    Channel,
    ClockRule,
    ClockRuleChange,
    Decision,
    InformationReceipt,
    LineOfBusiness,
    PriorAuthRequest,
    RequestType,
    Status,
    Urgency,
)

__all__ = [
    "OPEN_STATUSES",
    "Channel",
    "ClockRule",
    "ClockRuleChange",
    "CriteriaDrug",
    "CriteriaSet",
    "Decision",
    "Drug",
    "FormularyDrug",
    "FormularyVersion",
    "InformationReceipt",
    "Letter",
    "LineOfBusiness",
    "Prescriber",
    "PrescriberChange",
    "PriorAuthRequest",
    "RequestType",
    "Status",
    "Urgency",
]
