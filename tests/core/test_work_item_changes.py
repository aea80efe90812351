"""Status transitions, assignment and notes, as each kind and role allows."""

from datetime import timedelta

import pytest
from django.core import mail

from payerdesk.core import kinds, selectors, services
from payerdesk.core.errors import Conflict, ErrorCode, InvalidInput, NotPermitted
from payerdesk.core.models import WorkItem
from payerdesk.core.roles import Role


@pytest.fixture
def held(users, make_item) -> WorkItem:
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    return item


def _snapshot(item: WorkItem) -> tuple[str, object, int]:
    fresh = WorkItem.objects.get(pk=item.pk)
    return fresh.status, fresh.closed_at, fresh.timeline.count()


def test_the_holder_moves_an_item_along_its_transitions(users, held):
    rep = users["rep"]
    services.work_item_transition(actor=rep, item_id=held.pk, to_status="in_progress")
    done = services.work_item_transition(
        actor=rep, item_id=held.pk, to_status="done", reason="Chart note received"
    )
    assert done.closed_at is not None
    event = done.timeline.filter(event="status_changed").last()
    assert event is not None
    assert event.data == {
        "previous": "in_progress",
        "status": "done",
        "reason": "Chart note received",
    }
    reopened = services.work_item_transition(actor=rep, item_id=held.pk, to_status="in_progress")
    assert reopened.closed_at is None


def test_a_transition_the_kind_does_not_allow_is_refused(users, held):
    before = _snapshot(held)
    with pytest.raises(Conflict) as refused:
        services.work_item_transition(actor=users["rep"], item_id=held.pk, to_status="done")
    assert refused.value.code == ErrorCode.TRANSITION_NOT_ALLOWED
    assert "Open to Done" in refused.value.message
    assert "in_progress" in refused.value.message  # says where it can go
    assert _snapshot(held) == before


def test_an_unknown_status_is_refused_with_the_field(users, held):
    before = _snapshot(held)
    with pytest.raises(InvalidInput) as refused:
        services.work_item_transition(actor=users["rep"], item_id=held.pk, to_status="approved")
    assert refused.value.code == ErrorCode.UNKNOWN_STATUS
    assert refused.value.field == "status"
    assert _snapshot(held) == before


def test_only_the_holder_or_a_supervisor_changes_status(users, make_user, held):
    colleague = make_user("rep2", Role.REP)
    with pytest.raises(Conflict):
        services.work_item_transition(actor=colleague, item_id=held.pk, to_status="in_progress")
    services.work_item_transition(
        actor=users["supervisor"], item_id=held.pk, to_status="in_progress"
    )
    with pytest.raises(NotPermitted):
        services.work_item_transition(actor=users["auditor"], item_id=held.pk, to_status="done")


def test_a_worker_may_release_only_what_they_hold(users, make_user, held):
    with pytest.raises(NotPermitted):
        services.work_item_assign(actor=make_user("rep2", Role.REP), item_id=held.pk, assignee=None)
    released = services.work_item_assign(actor=users["rep"], item_id=held.pk, assignee=None)
    assert released.assignee is None
    assert released.timeline.filter(event="released").count() == 1


def test_a_supervisor_assigns_only_to_someone_who_works_the_queue(
    users, make_item, django_capture_on_commit_callbacks
):
    item = make_item()
    before = _snapshot(item)
    with pytest.raises(InvalidInput) as refused:
        services.work_item_assign(
            actor=users["supervisor"], item_id=item.pk, assignee=users["pharmacist"]
        )
    assert refused.value.code == ErrorCode.ASSIGNEE_NOT_ELIGIBLE
    assert refused.value.field == "assignee"
    assert _snapshot(item) == before

    with django_capture_on_commit_callbacks(execute=True):
        services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=users["rep"])
    assert WorkItem.objects.get(pk=item.pk).assignee == users["rep"]
    assert mail.outbox[-1].to == ["rep@example.test"]
    assert item.title not in mail.outbox[-1].body


def test_market_scoped_staff_cannot_be_given_another_markets_work(users, markets, make_item):
    item = make_item("groups", market=markets["SE"])
    with pytest.raises(InvalidInput):
        services.work_item_assign(
            actor=users["supervisor"], item_id=item.pk, assignee=users["groupadmin"]
        )


def test_notes_are_kept_and_empty_ones_refused(users, held):
    note = services.work_item_note_add(actor=users["rep"], item_id=held.pk, body="  Faxed. ")
    assert note.body == "Faxed."
    assert held.timeline.filter(event="note_added").count() == 1
    for body, message in (("   ", "empty"), ("x" * 10_001, "10,000")):
        with pytest.raises(InvalidInput) as refused:
            services.work_item_note_add(actor=users["rep"], item_id=held.pk, body=body)
        assert refused.value.field == "body"
        assert message in refused.value.message
    assert held.notes.count() == 1


def test_creating_an_item_of_an_unknown_kind_is_refused(queues):
    with pytest.raises(InvalidInput) as refused:
        services.work_item_create(actor=None, kind="claim", title="x", queue=queues["coverage"])
    assert refused.value.field == "kind"
    assert not WorkItem.objects.exists()


def test_a_kind_must_declare_the_statuses_it_uses():
    with pytest.raises(ValueError, match="undeclared"):
        kinds.WorkItemKind(
            code="broken",
            label="Broken",
            statuses={"open": "Open"},
            initial="open",
            transitions={"open": ("done",)},
            closed=frozenset(),
        )


def test_my_work_lists_open_items_soonest_due_first(users, make_item):
    later = make_item(due_in=timedelta(days=2))
    sooner = make_item(due_in=timedelta(hours=-3))
    closed = make_item(due_in=timedelta(hours=1))
    for item in (later, sooner, closed):
        services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_transition(actor=users["rep"], item_id=closed.pk, to_status="cancelled")
    mine = list(selectors.my_work(user=users["rep"]))
    assert [item.pk for item in mine] == [sooner.pk, later.pk]
    assert mine[0].is_overdue() and not mine[1].is_overdue()
