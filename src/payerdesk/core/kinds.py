"""The registry of work item kinds.

Each module registers the kinds of work it creates, with the statuses a kind has and
the transitions it allows, and the types of its records a hand-made item may link to.
The core only knows kinds and records through these registries.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from payerdesk.core.models import User, WorkItem


@dataclass(frozen=True)
class WorkItemKind:
    code: str
    label: str
    statuses: Mapping[str, str]
    initial: str
    transitions: Mapping[str, tuple[str, ...]]
    closed: frozenset[str]
    # Items of a PHI kind hold member or patient data: every view is access-logged.
    phi: bool = False
    description: str = ""
    # The page of the domain record the item is about (a PA request, a group), if any.
    # Domain modules hold the link (their record points at the item), so the core
    # asks them rather than knowing their models.
    detail_url: "Callable[[WorkItem], str | None] | None" = None
    # Staff may open items of this kind by hand; the others only their module opens,
    # because a domain record and its own rules go with them.
    manual: bool = False

    def __post_init__(self) -> None:
        known = set(self.statuses)
        if self.initial not in known:
            raise ValueError(f"kind {self.code}: initial status {self.initial!r} is not declared")
        for source, targets in self.transitions.items():
            unknown = ({source, *targets}) - known
            if unknown:
                raise ValueError(f"kind {self.code}: transition uses undeclared {sorted(unknown)}")
        if not self.closed <= known:
            raise ValueError(f"kind {self.code}: closed statuses must be declared")

    def allowed_from(self, status: str) -> tuple[str, ...]:
        return self.transitions.get(status, ())

    def status_label(self, status: str) -> str:
        return self.statuses.get(status, status)

    def is_closed(self, status: str) -> bool:
        return status in self.closed

    def record_url(self, item: "WorkItem") -> str | None:
        return self.detail_url(item) if self.detail_url else None


_registry: dict[str, WorkItemKind] = {}


class UnknownKindError(LookupError):
    pass


Entry = TypeVar("Entry", "WorkItemKind", "RecordType")


def _add(registry: dict[str, Entry], code: str, entry: Entry, what: str) -> Entry:
    """The same declaration again is fine (apps may be readied twice); another is not."""
    existing = registry.get(code)
    if existing is not None and existing != entry:
        raise ValueError(f"{what} {code!r} is already registered differently")
    registry[code] = entry
    return entry


def register(kind: WorkItemKind) -> WorkItemKind:
    return _add(_registry, kind.code, kind, "work item kind")


def get(code: str) -> WorkItemKind:
    try:
        return _registry[code]
    except KeyError:
        raise UnknownKindError(f"unknown work item kind {code!r}") from None


def all_kinds() -> list[WorkItemKind]:
    return sorted(_registry.values(), key=lambda kind: kind.label)


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.code, kind.label) for kind in all_kinds()]


def manual_kind_choices() -> list[tuple[str, str]]:
    """The kinds staff may open by hand."""
    return [(kind.code, kind.label) for kind in all_kinds() if kind.manual]


def status_choices() -> list[tuple[str, str]]:
    """Every status of every kind, for filters that span kinds."""
    seen: dict[str, str] = {}
    for kind in all_kinds():
        for code, label in kind.statuses.items():
            seen.setdefault(code, label)
    return sorted(seen.items(), key=lambda pair: pair[1])


TASK = WorkItemKind(
    code="task",
    label="Task",
    description="A piece of work a person owns: a request to follow up, a form to chase.",
    statuses={
        "open": "Open",
        "in_progress": "In progress",
        "waiting": "Waiting on others",
        "done": "Done",
        "cancelled": "Cancelled",
    },
    initial="open",
    transitions={
        "open": ("in_progress", "cancelled"),
        "in_progress": ("waiting", "done", "cancelled"),
        "waiting": ("in_progress", "done", "cancelled"),
        "done": ("in_progress",),
    },
    closed=frozenset({"done", "cancelled"}),
    manual=True,
)

CALLBACK = WorkItemKind(
    code="callback",
    label="Call back",
    description="A call owed to a member, a provider's office or an employer contact.",
    statuses={
        "open": "To call",
        "attempted": "Attempted, no answer",
        "completed": "Reached",
        "cancelled": "Cancelled",
    },
    initial="open",
    transitions={
        "open": ("attempted", "completed", "cancelled"),
        "attempted": ("attempted", "completed", "cancelled"),
    },
    closed=frozenset({"completed", "cancelled"}),
    phi=True,
    manual=True,
)


@dataclass(frozen=True)
class RecordType:
    """A type of domain record a hand-made work item may link to (a group, a member).

    `name` answers the record's name when it exists and `user` may see it, else None:
    the same answer for both, so a link cannot probe for what exists. `url` is the
    record's page, which checks the viewer's access itself.
    """

    code: str
    label: str
    name: "Callable[[User, str], str | None]"
    url: Callable[[str], str]
    id_label: str = "Record id"
    # A record of member or patient data: an item linked to it is PHI too (its views
    # are access-logged), whatever its kind.
    phi: bool = False


_record_types: dict[str, RecordType] = {}


def register_record_type(record_type: RecordType) -> RecordType:
    return _add(_record_types, record_type.code, record_type, "record type")


def record_type(code: str) -> RecordType | None:
    return _record_types.get(code)


def record_type_choices() -> list[tuple[str, str]]:
    return sorted(((t.code, t.label) for t in _record_types.values()), key=lambda c: c[1])


def register_core_kinds() -> None:
    register(TASK)
    register(CALLBACK)
