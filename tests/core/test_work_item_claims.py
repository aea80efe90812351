"""Claiming: one holder per item, whatever the race."""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from payerdesk.core import services
from payerdesk.core.errors import Conflict, ErrorCode, NotFound, NotPermitted
from payerdesk.core.models import TimelineEvent, WorkItem
from payerdesk.core.roles import Role

CLAIMED = TimelineEvent.Event.CLAIMED


def test_claim_sets_the_holder_and_writes_the_timeline(users, make_item):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    item.refresh_from_db()
    assert item.assignee == users["rep"]
    assert item.claimed_at is not None
    assert list(item.timeline.values_list("event", flat=True)) == ["created", "claimed"]


def test_claiming_a_held_item_is_refused_and_changes_nothing(users, make_user, make_item):
    other_rep = make_user("rep2", Role.REP)
    item = make_item()
    services.work_item_claim(actor=other_rep, item_id=item.pk)
    with pytest.raises(Conflict) as refused:
        services.work_item_claim(actor=users["rep"], item_id=item.pk)
    assert refused.value.code == ErrorCode.ALREADY_CLAIMED
    assert "rep2" in refused.value.message
    item.refresh_from_db()
    assert item.assignee == other_rep
    assert item.timeline.filter(event=CLAIMED).count() == 1


def test_claiming_your_own_item_again_is_a_no_op(users, make_item):
    item = make_item()
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    services.work_item_claim(actor=users["rep"], item_id=item.pk)
    assert item.timeline.filter(event=CLAIMED).count() == 1


def test_out_of_scope_and_missing_items_read_the_same(users, make_item):
    item = make_item()
    with pytest.raises(NotFound) as out_of_scope:
        services.work_item_claim(actor=users["pharmacist"], item_id=item.pk)
    with pytest.raises(NotFound) as missing:
        services.work_item_claim(actor=users["pharmacist"], item_id=item.pk + 1000)
    assert out_of_scope.value.http_status == missing.value.http_status == 404


def test_auditors_see_but_cannot_claim(users, make_item):
    item = make_item()
    with pytest.raises(NotPermitted):
        services.work_item_claim(actor=users["auditor"], item_id=item.pk)
    assert WorkItem.objects.get(pk=item.pk).assignee is None


def test_a_closed_item_cannot_be_claimed(users, make_item):
    item = make_item()
    services.work_item_assign(actor=users["supervisor"], item_id=item.pk, assignee=users["rep"])
    services.work_item_transition(actor=users["rep"], item_id=item.pk, to_status="cancelled")
    with pytest.raises(Conflict) as refused:
        services.work_item_claim(actor=users["supervisor"], item_id=item.pk)
    assert refused.value.code == ErrorCode.ITEM_CLOSED


def test_claim_next_takes_the_item_due_first(users, make_item):
    later = make_item(title="later", due_in=timedelta(hours=30))
    sooner = make_item(title="sooner", due_in=timedelta(hours=2))
    first = services.work_item_claim_next(actor=users["rep"], queue=sooner.queue)
    second = services.work_item_claim_next(actor=users["rep"], queue=sooner.queue)
    assert [first.pk, second.pk] == [sooner.pk, later.pk]
    with pytest.raises(Conflict) as empty:
        services.work_item_claim_next(actor=users["rep"], queue=sooner.queue)
    assert empty.value.code == ErrorCode.QUEUE_EMPTY


def test_claim_next_keeps_to_the_markets_a_user_serves(users, markets, make_item):
    make_item("groups", market=markets["SE"], due_in=timedelta(hours=1))
    mine = make_item("groups", market=markets["TRI"], due_in=timedelta(hours=5))
    claimed = services.work_item_claim_next(actor=users["groupadmin"], queue=mine.queue)
    assert claimed.pk == mine.pk
    with pytest.raises(Conflict):
        services.work_item_claim_next(actor=users["groupadmin"], queue=mine.queue)


def test_claim_next_is_refused_for_a_queue_the_role_does_not_work(users, queues):
    with pytest.raises(NotPermitted):
        services.work_item_claim_next(actor=users["pharmacist"], queue=queues["coverage"])


def test_a_stale_read_cannot_win_the_compare_and_swap(users, make_user, make_item):
    item = make_item()
    stale = WorkItem.objects.get(pk=item.pk)  # read while still unassigned
    services.work_item_claim(actor=make_user("rep2", Role.REP), item_id=item.pk)
    with pytest.raises(Conflict):
        services._take(users["rep"], stale)
    assert WorkItem.objects.filter(pk=item.pk, assignee__username="rep2").exists()
    assert item.timeline.filter(event=CLAIMED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_workers_never_claim_the_same_item(make_user, make_item):
    if connection.vendor == "sqlite":
        pytest.skip("needs a database server shared by threads (runs on PostgreSQL in CI)")
    items = [make_item(due_in=timedelta(minutes=n)) for n in range(120)]
    queue = items[0].queue
    workers = [make_user(f"worker{n}", Role.REP) for n in range(8)]
    claimed: list[list[int]] = [[] for _ in workers]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            while True:
                try:
                    item = services.work_item_claim_next(actor=workers[index], queue=queue)
                except Conflict as error:
                    if error.code == ErrorCode.QUEUE_EMPTY:
                        return
                    continue
                claimed[index].append(item.pk)
        except BaseException as error:  # surfaced below, in the test thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    every_claim = [pk for worker_claims in claimed for pk in worker_claims]
    assert sorted(every_claim) == sorted(item.pk for item in items)
    assert TimelineEvent.objects.filter(event=CLAIMED).count() == len(items)
    assert sum(1 for worker_claims in claimed if worker_claims) > 1
