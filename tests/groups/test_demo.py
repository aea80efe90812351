"""The groups demo: products, groups in the group administrator's markets, members."""

from datetime import date

import pytest

from payerdesk.core.demo import demo_load
from payerdesk.core.models import User
from payerdesk.groups import selectors
from payerdesk.groups.models import Coverage, EmployerGroup, Member, Product


@pytest.mark.django_db
def test_the_demo_installs_groups_members_and_coverages_through_the_services():
    demo_load()
    assert Product.objects.count() == 7
    groups = list(EmployerGroup.objects.all())
    assert {g.market.code for g in groups} == {"TRI", "MAT"} and len(groups) == 4
    assert all(g.welcome_call is not None and g.setup_steps.count() == 6 for g in groups)
    members = Member.objects.count()
    assert 35 <= members <= 48
    assert Member.objects.filter(employee__isnull=False).count() >= 8  # dependents
    assert Coverage.objects.filter(monthly_premium__gt=0).count() >= 60
    employer = User.objects.get(username="employer")
    assert list(selectors.groups_visible_to(employer)) == [groups[0]]
    late = Member.objects.filter(group=groups[0], employee__isnull=True).last()
    assert late is not None
    assert not selectors.coverage_as_of(member=late, on=date(2026, 1, 15))
    assert selectors.coverage_as_of(member=late, on=date(2026, 6, 1))
    # Running it again changes nothing.
    demo_load()
    assert Member.objects.count() == members
