"""Staff open work items by hand: a page and POST /api/work-items, through work_item_create.

The engagement coordinator serves Tri-State and works the health engagement queue; the
group administrator serves Tri-State, works group administration and reads the groups
of Tri-State (so links to them).
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from payerdesk.core import services
from payerdesk.core.errors import InvalidInput, NotPermitted
from payerdesk.core.models import AccessLogEntry, Queue, SlaPolicy, TimelineEvent, WorkItem
from payerdesk.core.roles import Role, group_name
from payerdesk.groups.models import EmployerGroup, Member
from payerdesk.groups.services import groups as group_services

NEW = {"kind": "task", "title": "Call the broker back", "queue": "group-administration",
       "market": "TRI"}  # fmt: skip


@pytest.fixture
def engagement(db, queues) -> Queue:
    policy = SlaPolicy.objects.create(
        name="2 business days", clock=SlaPolicy.Clock.BUSINESS_DAYS, amount=2
    )
    queue = Queue.objects.create(slug="health-engagement", name="Health engagement",
                                 sla_policy=policy)  # fmt: skip
    queue.worker_roles.set([Group.objects.get(name=group_name(Role.COORDINATOR))])
    return queue


@pytest.fixture
def groups_by_market(users, markets, engagement) -> dict[str, str]:
    """A group in Tri-State and one outside it: market -> group number."""
    for code, number in (("TRI", "G-TRI"), ("SE", "G-SE")):
        group_services.group_create(
            actor=users["supervisor"], group_number=number, legal_name=f"{code} Foods",
            situs_state="NY", market=markets[code], effective_date=date(2026, 1, 1),
            billing_contact_name="Pat", billing_contact_email="pat@example.test",
        )  # fmt: skip
    return {"TRI": "G-TRI", "SE": "G-SE"}


def _counts() -> tuple[int, int]:
    return WorkItem.objects.count(), TimelineEvent.objects.count()


# --- the service ---------------------------------------------------------------------------


def test_a_person_opens_a_task_with_the_queue_sla_and_a_timeline_row(users, markets, engagement):
    item = services.work_item_create(
        actor=users["coordinator"], kind="task", title="Call the broker back",
        queue=engagement, market=markets["TRI"],
    )  # fmt: skip
    item.refresh_from_db()
    assert (item.kind, item.status, item.created_by, item.market) == (
        "task", "open", users["coordinator"], markets["TRI"]
    )  # fmt: skip
    assert item.due_at == engagement.sla_policy.due_at(item.created_at)
    created = item.timeline.get()
    assert created.actor == users["coordinator"]
    assert created.summary == "Task opened in Health engagement by hand"
    assert (item.record_type, item.record_id, item.record_url) == ("", "", None)


def test_a_linked_record_is_kept_shown_and_written_on_the_timeline(
    users, markets, engagement, groups_by_market, client_for
):
    item = services.work_item_create(
        actor=users["groupadmin"], kind="callback", title="Call the HR contact",
        queue=Queue.objects.get(slug="group-administration"), market=markets["TRI"],
        record_type="group", record_id="G-TRI",
    )  # fmt: skip
    assert (item.record_type, item.record_id) == ("group", "G-TRI")
    assert item.record_url == reverse("groups:group", args=["G-TRI"])
    assert item.timeline.get().data["record_id"] == "G-TRI"
    page = client_for(users["groupadmin"]).get(reverse("core:work-item", args=[item.pk]))
    assert f'href="{item.record_url}">Open Group G-TRI</a>' in page.content.decode()


def test_an_item_linked_to_a_member_is_phi_whatever_its_kind(
    users, markets, groups_by_market, client_for
):
    member = Member.objects.create(
        group=EmployerGroup.objects.get(group_number="G-TRI"), subscriber_id="M1",
        member_id="M1", relationship="18", first_name="A", last_name="B",
        birth_date=date(1980, 1, 1), sex="F",
    )  # fmt: skip
    queue = Queue.objects.get(slug="group-administration")
    plain = services.work_item_create(
        actor=users["groupadmin"], kind="task", title="Plain", queue=queue, market=markets["TRI"]
    )
    linked = services.work_item_create(
        actor=users["groupadmin"], kind="task", title="About a member", queue=queue,
        market=markets["TRI"], record_type="member", record_id=str(member.pk),
    )  # fmt: skip
    assert (plain.phi, linked.phi) == (False, True)
    client_for(users["groupadmin"]).get(reverse("core:work-item", args=[linked.pk]))
    assert AccessLogEntry.objects.filter(record_type="work_item", record_id=str(linked.pk)).exists()


def test_module_callers_without_an_actor_are_not_held_to_the_hand_made_rules(queues):
    """A module opens its own kinds, in any market: only people are checked."""
    item = services.work_item_create(
        actor=None, kind="welcome_call", title="Welcome", queue=queues["groups"]
    )
    assert item.created_by is None


def test_the_auditor_opens_nothing(users, markets, engagement):
    with pytest.raises(NotPermitted):
        services.work_item_create(
            actor=users["auditor"], kind="task", title="x", queue=engagement, market=None
        )
    assert _counts() == (0, 0)


# Each bad request, from the group administrator: (changes to NEW, the field the error
# names).
BAD = {
    "unknown queue": ({"queue": "nowhere"}, "queue"),
    "a queue they do not work": ({"queue": "coverage-review"}, "queue"),
    "a market outside their scope": ({"market": "SE"}, "market"),
    "an unknown market": ({"market": "ZZ"}, "market"),
    "no market for a market-scoped person": ({"market": ""}, "market"),
    "an unknown kind": ({"kind": "séance"}, "kind"),
    "a kind only its module opens": ({"kind": "welcome_call"}, "kind"),
    "an unknown record type": ({"record_type": "planet", "record_id": "1"}, "record_type"),
    "a record id without a type": ({"record_id": "G-TRI"}, "record_type"),
    "a record type without an id": ({"record_type": "group"}, "record_id"),
    "a record that does not exist": ({"record_type": "group", "record_id": "G-404"}, "record_id"),
    "a record they cannot see": ({"record_type": "group", "record_id": "G-SE"}, "record_id"),
    "a member record that is no number": ({"record_type": "member", "record_id": "x"}, "record_id"),
    "an empty title": ({"title": " "}, "title"),
    "a record id too long": ({"record_type": "group", "record_id": "G" * 61}, "record_id"),
}


SCHEMA_REFUSES = {"an empty title", "a record id too long"}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_page_request_names_the_field_and_creates_nothing(
    case, users, groups_by_market, client_for
):
    changes, field = BAD[case]
    before = _counts()
    response = client_for(users["groupadmin"]).post(reverse("core:work-item-new"),
                                                    {**NEW, **changes})  # fmt: skip
    assert response.status_code in (400, 422)
    form = response.context["form"]
    assert list(form.errors) == [field], form.errors
    assert _counts() == before


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_api_request_names_the_field_and_creates_nothing(
    case, users, groups_by_market, api_client
):
    changes, field = BAD[case]
    before = _counts()
    body: dict[str, object] = {**NEW, **changes}
    if body["market"] == "":
        body["market"] = None
    response = api_client("groupadmin").post("/api/work-items", body,
                                             content_type="application/json")  # fmt: skip
    assert response.status_code == 422, response.content
    if case in SCHEMA_REFUSES:  # these never reach the service: the schema names the field
        assert field in str(response.json())
    else:
        assert response.json()["field"] == field, response.json()
    assert _counts() == before


def test_the_page_opens_the_item_and_goes_to_it(users, groups_by_market, client_for):
    client = client_for(users["groupadmin"])
    form = client.get(reverse("core:work-item-new")).content.decode()
    # The page offers what the group administrator may pick: their queue, their market,
    # the kinds people open, and the linkable record types.
    assert '<option value="group-administration">' in form
    assert '<option value="coverage-review">' not in form
    assert '<option value="TRI">' in form and '<option value="SE">' not in form
    assert '<option value="welcome_call">' not in form and '<option value="task">' in form
    assert '<option value="group">' in form
    response = client.post(
        reverse("core:work-item-new"),
        {**NEW, "kind": "callback", "priority": "2", "record_type": "group",
         "record_id": "G-TRI", "description": "Asked about the list bill."},
    )  # fmt: skip
    item = WorkItem.objects.filter(created_by=users["groupadmin"]).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:work-item", args=[item.pk])
    assert (item.kind, item.priority, item.record_id, item.description) == (
        "callback", 2, "G-TRI", "Asked about the list bill."
    )  # fmt: skip


def test_the_api_opens_the_item_and_answers_it(users, markets, engagement, api_client):
    response = api_client("coordinator").post(
        "/api/work-items", {**NEW, "queue": "health-engagement", "priority": 1},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    item = WorkItem.objects.get(pk=body["id"])
    assert (body["queue"], body["market"], body["kind"], body["priority"]) == (
        "health-engagement", "TRI", "task", 1
    )  # fmt: skip
    assert item.created_by == users["coordinator"]
    assert item.due_at - item.created_at >= timedelta(days=2)


def test_a_supervisor_opens_national_work_in_any_queue(users, queues, api_client):
    response = api_client("supervisor").post(
        "/api/work-items", {**NEW, "queue": "pharmacist-review", "market": None},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["market"] is None


def test_the_work_list_links_to_the_new_item_page_for_those_who_work_queues(users, client_for):
    link = f'href="{reverse("core:work-item-new")}"'
    assert link in client_for(users["rep"]).get(reverse("core:work-items")).content.decode()
    auditor_page = client_for(users["auditor"]).get(reverse("core:work-items"))
    assert link not in auditor_page.content.decode()


def test_the_service_error_names_the_field_for_a_queue_not_worked(users, queues, markets):
    with pytest.raises(InvalidInput) as refused:
        services.work_item_create(
            actor=users["rep"], kind="task", title="x", queue=queues["pharmacist"]
        )
    assert refused.value.field == "queue"
