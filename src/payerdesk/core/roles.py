"""Roles: the career areas of seed 002 that payerdesk serves, as Django groups.

Each role is a group with permissions. A role's `short_name` is also the demo login.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig, apps
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models

if TYPE_CHECKING:
    from payerdesk.core.models import User

# Permissions on WorkItem (declared in its Meta) that the roles are built from.
WORK_QUEUE = "core.work_queue"
SUPERVISE = "core.supervise_queue"
VIEW_ALL_WORK = "core.view_all_work"
MARKET_SCOPED = "core.market_scoped"
VIEW_ACCESS_LOG = "core.view_accesslogentry"
ADMIN_REFERENCE = (
    "core.add_market", "core.change_market", "core.view_market",
    "core.add_segment", "core.change_segment", "core.view_segment",
    "core.add_team", "core.change_team", "core.view_team",
    "core.add_queue", "core.change_queue", "core.view_queue",
    "core.add_slapolicy", "core.change_slapolicy", "core.view_slapolicy",
    "core.add_staffprofile", "core.change_staffprofile", "core.view_staffprofile",
    "core.add_apitoken", "core.change_apitoken", "core.view_apitoken",
    VIEW_ACCESS_LOG,
    "core.add_user", "core.change_user", "core.view_user", "auth.view_group",
)  # fmt: skip


class Role(models.TextChoices):
    REP = "rep", "Coverage review representative"
    PHARMACIST = "pharmacist", "Pharmacist"
    GROUP_ADMIN = "groupadmin", "Group administrator"
    SALES_ADMIN = "salesadmin", "Sales administrator"
    COORDINATOR = "coordinator", "Engagement coordinator"
    AUDITOR = "auditor", "QA auditor"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Administrator"
    EMPLOYER = "employer", "Employer group administrator"
    PROVIDER = "provider", "Provider"


@dataclass(frozen=True)
class RoleSpec:
    role: Role
    permissions: tuple[str, ...]  # none for the outside roles: they get no staff screens


ROLE_SPECS: tuple[RoleSpec, ...] = (
    RoleSpec(Role.REP, (WORK_QUEUE,)),
    RoleSpec(Role.PHARMACIST, (WORK_QUEUE,)),
    RoleSpec(Role.GROUP_ADMIN, (WORK_QUEUE, MARKET_SCOPED)),
    RoleSpec(Role.SALES_ADMIN, (WORK_QUEUE, MARKET_SCOPED)),
    RoleSpec(Role.COORDINATOR, (WORK_QUEUE, MARKET_SCOPED)),
    RoleSpec(Role.AUDITOR, (VIEW_ALL_WORK, VIEW_ACCESS_LOG)),
    RoleSpec(Role.SUPERVISOR, (WORK_QUEUE, SUPERVISE, VIEW_ALL_WORK, VIEW_ACCESS_LOG)),
    RoleSpec(Role.ADMIN, (WORK_QUEUE, SUPERVISE, VIEW_ALL_WORK, *ADMIN_REFERENCE)),
    RoleSpec(Role.EMPLOYER, ()),
    RoleSpec(Role.PROVIDER, ()),
)


def group_name(role: Role) -> str:
    return str(role.label)


def roles_of(user: "User | AnonymousUser") -> set[Role]:
    if not user.is_authenticated:
        return set()
    by_name = {group_name(role): role for role in Role}
    names = set(user.groups.values_list("name", flat=True))
    return {by_name[name] for name in names if name in by_name}


def has_role(user: "User | AnonymousUser", role: Role) -> bool:
    return user.is_authenticated and user.groups.filter(name=group_name(role)).exists()


def is_staff_member(user: "User | AnonymousUser") -> bool:
    """Staff roles work inside the company; the outside roles never see staff screens.

    Judged by permission, so Django's per-request permission cache answers it.
    """
    return user.is_active and (user.has_perm(WORK_QUEUE) or user.has_perm(VIEW_ALL_WORK))


# Permissions that domain modules grant to roles, registered from their AppConfig.ready().
_granted: dict[Role, set[str]] = {}


def grant(role: Role, *permissions: str) -> None:
    _granted.setdefault(role, set()).update(permissions)


def _permissions(codes: Iterable[str]) -> list[Permission]:
    found = []
    for code in sorted(codes):
        app_label, codename = code.split(".")
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def roles_sync() -> None:
    """Create or update one group per role with exactly the role's permissions."""
    ContentType.objects.clear_cache()
    for spec in ROLE_SPECS:
        group, _ = Group.objects.get_or_create(name=group_name(spec.role))
        codes = {*spec.permissions, *_granted.get(spec.role, set())}
        group.permissions.set(_permissions(codes))


def sync_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    # post_migrate comes once per app with models; after the last one, every
    # permission the roles name exists.
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender is with_models[-1]:
        roles_sync()
