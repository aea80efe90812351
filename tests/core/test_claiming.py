"""Claiming work: one holder per item, soonest due first, within the user's queues and markets."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from payerdesk.core import services
from payerdesk.core.errors import Conflict, ErrorCode, NotFound, NotPermitted
from payerdesk.core.models import TimelineEvent, WorkItem
from payerdesk.core.roles import Role

CLAIMED = TimelineEvent.Event.CLAIMED


def _claim_events(item: WorkItem) -> list[TimelineEvent]:
    return list(TimelineEvent.objects.filter(work_item=item, event=CLAIMED))


# --- claiming a chosen item ---------------------------------------------------------------


def test_claiming_an_unassigned_item_sets_the_holder_and_writes_the_timeline(users, make_item):
    item = make_item()
    before = timezone.now()

    returned = services.work_item_claim(actor=users["rep"], item_id=item.pk)

    item.refresh_from_db()
    assert returned.pk == item.pk
    assert item.assignee == users["rep"]
    assert item.claimed_at is not None and item.claimed_at >= before
    events = _claim_events(item)
    assert len(events) == 1
    assert events[0].actor == users["rep"]
    assert "rep" in events[0].summary
    assert list(item.timeline.values_list("event", flat=True)) == ["created", "claimed"]


def test_claiming_an_item_someone_else_holds_is_a_conflict_and_changes_nothing(
    users, make_user, make_item
):
    holder = make_user("rep2", Role.REP)
    item = make_item()
    services.work_item_claim(actor=holder, item_id=item.pk)
    item.refresh_from_db()
    claimed_at, events = item.claimed_at, item.timeline.count()

    with pytest.raises(Conflict) as refused:
        services.work_item_claim(actor=users["rep"], item_id=item.pk)

    assert refused.value.code == ErrorCode.ALREADY_CLAIMED
    assert refused.value.http_status == 409
    assert "rep2" in refused.value.message
    item.refresh_from_db()
    assert item.assignee == holder
    assert item.claimed_at == claimed_at
    assert item.timeline.count() == events
    assert len(_claim_events(item)) == 1


def test_even_a_supervisor_cannot_claim_a_held_item(users, make_item):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    with pytest.raises(Conflict) as refused:
        services.work_item_claim(actor=users["supervisor"], item_id=item.pk)
    assert refused.value.code == ErrorCode.ALREADY_CLAIMED
    assert WorkItem.objects.get(pk=item.pk).assignee == users["rep"]


def test_claiming_your_own_held_item_again_is_a_no_op(users, make_item):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    item.refresh_from_db()
    first_claimed_at = item.claimed_at

    again = services.work_item_claim(actor=users["rep"], item_id=item.pk)

    item.refresh_from_db()
    assert again.assignee == users["rep"]
    assert item.claimed_at == first_claimed_at
    assert len(_claim_events(item)) == 1


def test_a_closed_item_cannot_be_claimed(users, make_item):
    item = make_item()
    services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=users["rep"])
    services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="cancelled")
    with pytest.raises(Conflict) as refused:
        services.work_item_claim(actor=users["supervisor"], item_id=item.pk)
    assert refused.value.code == ErrorCode.ITEM_CLOSED


def test_an_auditor_sees_work_but_cannot_claim_it(users, make_item):
    item = make_item()
    with pytest.raises(NotPermitted):
        services.work_item_claim(actor=users["auditor"], item_id=item.pk)
    item.refresh_from_db()
    assert item.assignee is None
    assert _claim_events(item) == []


def test_an_item_outside_the_users_scope_reads_as_missing(users, markets, make_item):
    other_queue = make_item("pharmacist")
    other_market = make_item("groups", market=markets["SE"])
    for user, item in ((users["rep"], other_queue), (users["groupadmin"], other_market)):
        with pytest.raises(NotFound):
            services.work_item_claim(actor=user, item_id=item.pk)
        assert WorkItem.objects.get(pk=item.pk).assignee is None
    with pytest.raises(NotFound):
        services.work_item_claim(actor=users["rep"], item_id=other_queue.pk + 10_000)


# --- claim next ---------------------------------------------------------------------------


def test_claim_next_takes_the_soonest_due_unassigned_item(users, make_user, make_item):
    later = make_item(title="later", due_in=timedelta(hours=30))
    held = make_item(title="held", due_in=timedelta(hours=1))
    services.work_item_claim(actor=make_user("rep2", Role.REP), item_id=held.pk)
    closed = make_item(title="closed", due_in=timedelta(hours=2))
    services.work_item_assign(actor=users["supervisor"], item_id=closed.pk, assignee=users["rep"])
    services.work_item_transition(actor=users["rep"], item_id=closed.pk, to_status="cancelled")
    soonest_open = make_item(title="soonest", due_in=timedelta(hours=3))
    other_queue = make_item("pharmacist", title="pharmacy", due_in=timedelta(minutes=5))

    first = services.work_item_claim_next(actor=users["rep"], queue=later.queue)
    second = services.work_item_claim_next(actor=users["rep"], queue=later.queue)

    assert [first.pk, second.pk] == [soonest_open.pk, later.pk]
    assert WorkItem.objects.get(pk=other_queue.pk).assignee is None
    for item in (first, second):
        stored = WorkItem.objects.get(pk=item.pk)
        assert stored.assignee == users["rep"]
        assert len(_claim_events(stored)) == 1


def test_claim_next_breaks_a_tie_on_due_time_by_age(users, queues):
    due = timezone.now() + timedelta(hours=4)
    older, newer = (
        services.work_item_create(
            actor=None, kind="task", title=title, queue=queues["coverage"], due_at=due
        )
        for title in ("older", "newer")
    )
    claimed = [
        services.work_item_claim_next(actor=users["rep"], queue=queues["coverage"]).pk
        for _ in range(2)
    ]
    assert claimed == [older.pk, newer.pk]


def test_claim_next_reports_an_empty_queue(users, queues, make_item):
    with pytest.raises(Conflict) as empty:
        services.work_item_claim_next(actor=users["rep"], queue=queues["coverage"])
    assert empty.value.code == ErrorCode.QUEUE_EMPTY

    item = make_item()
    services.work_item_claim_next(actor=users["rep"], queue=queues["coverage"])
    with pytest.raises(Conflict) as drained:
        services.work_item_claim_next(actor=users["rep"], queue=queues["coverage"])
    assert drained.value.code == ErrorCode.QUEUE_EMPTY
    assert len(_claim_events(item)) == 1


def test_claim_next_keeps_a_market_scoped_user_to_their_markets(users, markets, make_item):
    southeast = make_item("groups", title="SE", market=markets["SE"], due_in=timedelta(hours=1))
    national = make_item("groups", title="national", due_in=timedelta(hours=2))
    tri_state = make_item("groups", title="TRI", market=markets["TRI"], due_in=timedelta(hours=3))
    queue = southeast.queue

    claimed = [
        services.work_item_claim_next(actor=users["groupadmin"], queue=queue).pk for _ in range(2)
    ]
    with pytest.raises(Conflict) as empty:
        services.work_item_claim_next(actor=users["groupadmin"], queue=queue)

    assert claimed == [national.pk, tri_state.pk]
    assert empty.value.code == ErrorCode.QUEUE_EMPTY
    assert WorkItem.objects.get(pk=southeast.pk).assignee is None
    # A supervisor is not market scoped: the Southeast item is theirs to take.
    assert services.work_item_claim_next(actor=users["supervisor"], queue=queue).pk == (
        southeast.pk
    )


@pytest.mark.parametrize(
    ("username", "queue"),
    [
        ("pharmacist", "coverage"),
        ("rep", "groups"),
        ("auditor", "coverage"),
        ("employer", "groups"),
    ],
)
def test_claim_next_is_refused_for_a_queue_the_role_does_not_work(
    users, queues, make_item, username, queue
):
    item = make_item(queue)
    with pytest.raises(NotPermitted) as refused:
        services.work_item_claim_next(actor=users[username], queue=queues[queue])
    assert refused.value.http_status == 403
    assert WorkItem.objects.get(pk=item.pk).assignee is None


# --- the compare-and-swap guard -----------------------------------------------------------


def test_take_with_a_stale_read_loses_the_compare_and_swap(users, make_user, make_item):
    item = make_item()
    stale = WorkItem.objects.get(pk=item.pk)  # read while it was still unassigned
    rival = make_user("rep2", Role.REP)
    services.work_item_claim(actor=rival, item_id=item.pk)

    with pytest.raises(Conflict) as lost:
        services._take(users["rep"], stale)

    assert lost.value.code == ErrorCode.ALREADY_CLAIMED
    assert WorkItem.objects.get(pk=item.pk).assignee == rival
    events = _claim_events(item)
    assert [event.actor for event in events] == [rival]


def test_claim_with_a_read_taken_before_a_rival_commits_is_refused(
    users, make_user, make_item, monkeypatch
):
    item = make_item()
    stale = WorkItem.objects.select_related("queue").get(pk=item.pk)
    rival = make_user("rep2", Role.REP)
    services.work_item_claim(actor=rival, item_id=item.pk)
    # Simulate a read that did not see the rival's claim (as if the row lock were missing).
    monkeypatch.setattr(services, "_lock", lambda item_id: stale)

    with pytest.raises(Conflict) as lost:
        services.work_item_claim(actor=users["rep"], item_id=item.pk)

    assert lost.value.code == ErrorCode.ALREADY_CLAIMED
    assert WorkItem.objects.get(pk=item.pk).assignee == rival
    assert len(_claim_events(item)) == 1


def test_claim_next_moves_on_when_its_candidate_is_taken_between_read_and_update(
    users, make_user, make_item, monkeypatch
):
    first = make_item(title="first", due_in=timedelta(hours=1))
    second = make_item(title="second", due_in=timedelta(hours=2))
    rival = make_user("rep2", Role.REP)
    real_take = services._take
    raced: list[int] = []

    def take_after_a_rival(actor, item):
        if not raced:
            # Another worker takes the very row we just read, before our update lands.
            raced.append(item.pk)
            real_take(rival, WorkItem.objects.get(pk=item.pk))
        return real_take(actor, item)

    monkeypatch.setattr(services, "_take", take_after_a_rival)
    claimed = services.work_item_claim_next(actor=users["rep"], queue=first.queue)

    assert raced == [first.pk]
    assert claimed.pk == second.pk
    assert WorkItem.objects.get(pk=first.pk).assignee == rival
    assert WorkItem.objects.get(pk=second.pk).assignee == users["rep"]
    assert [e.actor for e in _claim_events(first)] == [rival]
    assert [e.actor for e in _claim_events(second)] == [users["rep"]]


# --- real concurrency (PostgreSQL) --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_eight_workers_claiming_next_never_share_an_item(make_user, make_item):
    if connection.vendor == "sqlite":
        pytest.skip("threads cannot share the in-memory SQLite database; runs on PostgreSQL")
    items = [make_item(due_in=timedelta(minutes=n)) for n in range(200)]
    queue = items[0].queue
    workers = [make_user(f"worker{n}", Role.REP) for n in range(8)]
    claimed: list[list[int]] = [[] for _ in workers]
    failures: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def work(index: int) -> None:
        try:
            start.wait()
            while True:
                try:
                    item = services.work_item_claim_next(actor=workers[index], queue=queue)
                except Conflict as error:
                    if error.code == ErrorCode.QUEUE_EMPTY:
                        return
                    continue  # busy: try again
                claimed[index].append(item.pk)
        except BaseException as error:  # re-raised in the test thread below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    every_claim = [pk for worker_claims in claimed for pk in worker_claims]
    counts = Counter(every_claim)
    assert [pk for pk, n in counts.items() if n > 1] == []  # no double claims
    assert set(counts) == {item.pk for item in items}  # every item claimed
    holders = dict(WorkItem.objects.filter(queue=queue).values_list("pk", "assignee_id"))
    for worker, worker_claims in zip(workers, claimed, strict=True):
        assert all(holders[pk] == worker.pk for pk in worker_claims)
    per_item = Counter(
        TimelineEvent.objects.filter(event=CLAIMED).values_list("work_item_id", flat=True)
    )
    assert per_item == Counter({item.pk: 1 for item in items})
    assert sum(1 for worker_claims in claimed if worker_claims) > 1
