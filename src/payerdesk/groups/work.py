"""The kinds of work the groups module puts on the core work queue."""

from typing import TYPE_CHECKING

from django.urls import reverse

from payerdesk.core import kinds

if TYPE_CHECKING:
    from payerdesk.core.models import User, WorkItem


def _group_page(item: "WorkItem") -> str | None:
    """The page of the group whose welcome call `item` is."""
    from payerdesk.groups.models import EmployerGroup

    numbers = EmployerGroup.objects.filter(welcome_call=item).values_list("group_number", flat=True)
    number = numbers.first()
    return reverse("groups:group", args=[number]) if number else None


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
    detail_url=_group_page,
)


def _group_name(user: "User", group_number: str) -> str | None:
    from payerdesk.groups.selectors import groups_visible_to

    group = groups_visible_to(user).filter(group_number=group_number.upper()).first()
    return str(group) if group is not None else None


def _group_url(group_number: str) -> str:
    return reverse("groups:group", args=[group_number.upper()])


def _member_name(user: "User", member_pk: str) -> str | None:
    from payerdesk.groups.selectors import members_visible_to

    if not member_pk.isdigit():
        return None
    member = members_visible_to(user).filter(pk=int(member_pk)).first()
    return f"member {member.member_id}" if member is not None else None


def _member_url(member_pk: str) -> str:
    return reverse("groups:member", args=[member_pk])


# Records a hand-made work item may link to: a group by its number, a member by the
# record number of its page.
GROUP_RECORD = kinds.RecordType(
    code="group", label="Group", name=_group_name, url=_group_url, id_label="Group number"
)
MEMBER_RECORD = kinds.RecordType(
    code="member", label="Member", name=_member_name, url=_member_url,
    id_label="Member record", phi=True,
)  # fmt: skip


def register_kinds() -> None:
    kinds.register(WELCOME_CALL)
    kinds.register_record_type(GROUP_RECORD)
    kinds.register_record_type(MEMBER_RECORD)


def _policy_change_url(item: "WorkItem") -> str | None:
    from django.urls import reverse

    from payerdesk.groups.models import PolicyChange

    change_id = PolicyChange.objects.filter(work_item=item).values_list("pk", flat=True).first()
    return reverse("groups:change", args=[change_id]) if change_id else None


# Applied and declined are reached only through the underwriting services, which apply
# or refuse the change in the same transaction: no plain transition leads there.
POLICY_CHANGE = kinds.WorkItemKind(
    code="policy_change",
    label="Policy change underwriting",
    description="A policy change the underwriting rules referred, or an employer submitted.",
    statuses={
        "to_review": "To underwrite",
        "awaiting_evidence": "Awaiting evidence (EOI, statement)",
        "applied": "Approved and applied",
        "declined": "Declined",
    },
    initial="to_review",
    transitions={"to_review": ("awaiting_evidence",), "awaiting_evidence": ("to_review",)},
    closed=frozenset({"applied", "declined"}),
    phi=True,
    detail_url=_policy_change_url,
)


def register_policy_kinds() -> None:
    kinds.register(POLICY_CHANGE)
