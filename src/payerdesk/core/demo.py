"""Demo data for `payerdesk demo`: the organisation, one user per role, and open work."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.models import (
    Market,
    Priority,
    Queue,
    Segment,
    SlaPolicy,
    StaffProfile,
    Team,
    User,
)
from payerdesk.core.modules import demo_loaders
from payerdesk.core.roles import Role, group_name, roles_sync

DEMO_PASSWORD = "payerdesk-demo-2026"  # noqa: S105 - printed by `make run` on purpose

MARKETS = [
    ("TRI", "Tri-State", "NY,NJ,CT"),
    ("MAT", "Mid-Atlantic", "PA,MD,DE,VA,DC"),
    ("SE", "Southeast", "FL,GA,NC,SC,TN"),
    ("TX", "Texas", "TX"),
    ("PNW", "Pacific Northwest", "WA,OR"),
]
SEGMENTS = [
    ("health-systems", "Health Systems"),
    ("specialty-pharmacy", "Specialty Pharmacy"),
    ("aic", "AIC"),
    ("physician-engagement", "Physician Engagement"),
    ("national-accounts", "National Accounts"),
]
# slug, name, team, policy, roles that work it, description
QUEUES = [
    (
        "coverage-review",
        "Coverage review",
        "Coverage Review",
        "PA standard",
        [Role.REP],
        "Prior authorization and non-formulary exception intake.",
    ),
    (
        "pharmacist-review",
        "Pharmacist review",
        "Clinical Pharmacy",
        "PA expedited",
        [Role.PHARMACIST],
        "Requests that did not meet approval criteria.",
    ),
    (
        "group-administration",
        "Group administration",
        "Worksite & Group Administration",
        "Two business days",
        [Role.GROUP_ADMIN],
        "Employer service requests and list bills.",
    ),
    (
        "sales-administration",
        "Sales administration",
        "Sales Administration",
        "Two business days",
        [Role.SALES_ADMIN],
        "Site onboarding, orders, credits and RGAs.",
    ),
    (
        "health-engagement",
        "Health engagement",
        "Select Health Engagement",
        "Five business days",
        [Role.COORDINATOR],
        "Reimbursements, audits and staff requests.",
    ),
]
POLICIES = [
    ("PA standard", SlaPolicy.Clock.CALENDAR_HOURS, 72, 12),
    ("PA expedited", SlaPolicy.Clock.CALENDAR_HOURS, 24, 4),
    ("Two business days", SlaPolicy.Clock.BUSINESS_DAYS, 2, 0),
    ("Five business days", SlaPolicy.Clock.BUSINESS_DAYS, 5, 0),
]
# username -> (first, last, role, markets)
PEOPLE = {
    "rep": ("Rosa", "Delgado", Role.REP, []),
    "pharmacist": ("Priya", "Natarajan", Role.PHARMACIST, []),
    "groupadmin": ("Grant", "Okafor", Role.GROUP_ADMIN, ["TRI", "MAT"]),
    "salesadmin": ("Sam", "Whitfield", Role.SALES_ADMIN, ["SE", "TX"]),
    "coordinator": ("Carmen", "Liu", Role.COORDINATOR, ["TRI", "MAT", "SE", "TX", "PNW"]),
    "auditor": ("Avery", "Brooks", Role.AUDITOR, []),
    "supervisor": ("Dana", "Kowalski", Role.SUPERVISOR, []),
    "admin": ("Alex", "Morgan", Role.ADMIN, []),
    "employer": ("Erin", "Chambers", Role.EMPLOYER, []),
    "provider": ("Dr. Paul", "Reyes", Role.PROVIDER, []),
}
# queue slug -> titles of demo work (kind, title)
WORK = {
    "coverage-review": [
        ("callback", "Return call to prescriber's office about a PA status"),
        ("task", "Chase a missing chart note for a non-formulary exception"),
        ("callback", "Call back a member about a pending request"),
        ("task", "Re-key a faxed PA form that arrived unreadable"),
    ],
    "pharmacist-review": [
        ("task", "Peer-to-peer requested by prescriber"),
        ("callback", "Prescriber asks why more information was pended"),
    ],
    "group-administration": [
        ("callback", "Welcome call to a newly installed employer group"),
        ("task", "Employer returned the list bill marked with changes"),
        ("task", "Confirm eligibility for the claims department"),
    ],
    "sales-administration": [
        ("task", "New site onboarding: declaration form incomplete"),
        ("task", "Controlled substance documents to validate"),
        ("callback", "Return a site's call about a delayed order"),
    ],
    "health-engagement": [
        ("task", "Reimbursement submission from a client wellness fair"),
        ("task", "Monthly engagement fund utilisation audit"),
        ("task", "Onboarding access request for a new consultant"),
    ],
}


@dataclass(frozen=True)
class DemoResult:
    created: bool
    users: list[tuple[str, str]]  # (username, role label)


@transaction.atomic
def demo_load() -> DemoResult:
    """Load the demo once; running it again changes nothing."""
    roles_sync()
    people = [(name, spec[2].label) for name, spec in PEOPLE.items()]
    if User.objects.filter(username="admin").exists():
        return DemoResult(created=False, users=people)
    markets = {
        code: Market.objects.create(code=code, name=name, states=states)
        for code, name, states in MARKETS
    }
    for code, name in SEGMENTS:
        Segment.objects.create(code=code, name=name)
    users = _people(markets)
    queues = _queues(users)
    _work(queues, users, markets)
    for _label, load in demo_loaders():
        load()
    return DemoResult(created=True, users=people)


def _people(markets: dict[str, Market]) -> dict[str, User]:
    users = {}
    for username, (first, last, role, market_codes) in PEOPLE.items():
        user = User.objects.create_user(
            username=username,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            email=f"{username}@payerdesk.invalid",
            is_staff=role == Role.ADMIN,
        )
        user.groups.add(Group.objects.get(name=group_name(role)))
        profile = StaffProfile.objects.create(user=user, title=str(role.label))
        profile.markets.set([markets[code] for code in market_codes])
        users[username] = user
    return users


def _queues(users: dict[str, User]) -> dict[str, Queue]:
    policies = {
        name: SlaPolicy.objects.create(
            name=name, clock=clock, amount=amount, escalate_before_hours=before
        )
        for name, clock, amount, before in POLICIES
    }
    queues = {}
    for slug, name, team_name, policy, roles, description in QUEUES:
        team = Team.objects.create(name=team_name, lead=users["supervisor"])
        queue = Queue.objects.create(
            slug=slug, name=name, team=team, sla_policy=policies[policy], description=description
        )
        queue.worker_roles.set(Group.objects.filter(name__in=[group_name(r) for r in roles]))
        queues[slug] = queue
    return queues


def _work(queues: dict[str, Queue], users: dict[str, User], markets: dict[str, Market]) -> None:
    """Open demo work through the services, so every item has its timeline."""
    worker = {
        "coverage-review": "rep",
        "pharmacist-review": "pharmacist",
        "group-administration": "groupadmin",
        "sales-administration": "salesadmin",
        "health-engagement": "coordinator",
    }
    served = {"groupadmin": ["TRI", "MAT"], "salesadmin": ["SE", "TX"]}
    now = timezone.now()
    for slug, entries in WORK.items():
        queue = queues[slug]
        username = worker[slug]
        codes = served.get(username, [code for code, _, _ in MARKETS])
        for index, (kind, title) in enumerate(entries * 2):
            market = markets[codes[index % len(codes)]]
            # A spread of deadlines: some overdue, some due today, most later.
            due = now + timedelta(hours=(index - 2) * 9)
            item = services.work_item_create(
                actor=None,
                kind=kind,
                title=title,
                queue=queue,
                market=market,
                priority=Priority.HIGH if index % 4 == 0 else Priority.NORMAL,
                due_at=due,
            )
            if index % 2 == 0:
                services.work_item_claim(actor=users[username], item_id=item.pk)
            if index == 0:
                services.work_item_note_add(
                    actor=users[username],
                    item_id=item.pk,
                    body="Left a voicemail; will try again after lunch.",
                )
