"""Installing an employer group: the record, the checklist, the welcome call."""

from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from payerdesk.core import selectors
from payerdesk.core.errors import InvalidInput, NotPermitted
from payerdesk.core.sla import add_business_days
from payerdesk.groups.models import EmployerGroup
from payerdesk.groups.services import groups as services


def test_a_new_group_gets_a_checklist_and_a_welcome_call_in_two_business_days(
    users, markets, queues
):
    # The clock is frozen: a Friday afternoon, so the two business days skip the weekend.
    friday = datetime(2026, 4, 3, 15, 30, tzinfo=ZoneInfo(settings.TIME_ZONE))
    with mock.patch.object(timezone, "now", return_value=friday):
        group = _create(users["groupadmin"], markets["TRI"], group_number="g1001")
    assert group.group_number == "G1001"
    labels = [step.label for step in group.setup_steps.all()]
    assert labels == list(services.SETUP_CHECKLIST)
    assert labels[0] == "Products and plan designs chosen" and len(labels) == 6
    call = group.welcome_call
    assert call is not None
    assert (call.kind, call.status, call.queue.slug) == (
        "welcome_call",
        "to_call",
        "group-administration",
    )
    assert call.market == group.market
    assert call.created_at == friday
    assert call.due_at == add_business_days(friday, 2)
    assert timezone.localtime(call.due_at) == friday.replace(day=7)  # the Tuesday after
    # The group administrator for Tri-State sees it in their queue.
    visible = selectors.work_item_list(
        user=users["groupadmin"], filters=selectors.WorkItemFilter(kind="welcome_call")
    )
    assert list(visible) == [call]


def _create(actor, market, **overrides):
    values = dict(
        actor=actor, group_number="G2002", legal_name="Beta Foods Inc", situs_state="NY",
        market=market, effective_date=date(2026, 1, 1), billing_contact_name="Lee",
        billing_contact_email="lee@beta.example",
    )  # fmt: skip
    values.update(overrides)
    return services.group_create(**values)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"group_number": "g1001"}, "group_number"),
        ({"group_number": "  "}, "group_number"),
        ({"legal_name": ""}, "legal_name"),
        ({"situs_state": "New York"}, "situs_state"),
        ({"billing_contact_email": "not-an-email"}, "billing_contact_email"),
    ],
)
def test_bad_set_up_is_refused_with_the_field(group, users, markets, overrides, field):
    before = EmployerGroup.objects.count()
    with pytest.raises(InvalidInput) as refused:
        _create(users["groupadmin"], markets["TRI"], **overrides)
    assert refused.value.field == field
    assert EmployerGroup.objects.count() == before


def test_only_group_administrators_of_the_market_install_groups(users, markets, queues):
    with pytest.raises(NotPermitted):
        _create(users["rep"], markets["TRI"])
    with pytest.raises(NotPermitted, match="Southeast"):
        _create(users["groupadmin"], markets["SE"])
    assert _create(users["supervisor"], markets["SE"]).group_number == "G2002"
