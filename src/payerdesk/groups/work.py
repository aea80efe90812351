"""The kinds of work the groups module puts on the core work queue."""

from payerdesk.core import kinds

WELCOME_CALL = kinds.WorkItemKind(
    code="welcome_call",
    label="Welcome call",
    description="Call a newly installed employer group to set up bill reconciliation.",
    statuses={
        "to_call": "To call",
        "attempted": "Attempted, no answer",
        "completed": "Completed",
        "cancelled": "Cancelled",
    },
    initial="to_call",
    transitions={
        "to_call": ("attempted", "completed", "cancelled"),
        "attempted": ("attempted", "completed", "cancelled"),
    },
    closed=frozenset({"completed", "cancelled"}),
)


def register_kinds() -> None:
    kinds.register(WELCOME_CALL)
