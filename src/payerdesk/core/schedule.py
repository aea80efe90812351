"""The schedule: which background jobs run by themselves, and when.

`settings.PAYERDESK_SCHEDULE` is the one place the schedule is kept: job name ->
{"cron": a five-field crontab expression in `TIME_ZONE`, "task": the dotted path of a
django-tasks task taking no arguments}. A domain module adds its jobs there; the core
never imports a domain module, it reads the paths.

`payerdesk scheduler` (one process) only enqueues; the task workers (`db_worker`, any
number) run the jobs. Every job computes what is due from the dates the rules give, not
from when it last ran, and running it twice changes nothing, so the scheduler needs no
memory of its own: at start-up it enqueues every job once, which catches up whatever a
stopped scheduler missed, and a run the process was too busy for is run late, once.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections
from django.utils.module_loading import import_string
from django_tasks.base import Task

logger = logging.getLogger("payerdesk.schedule")

# A late run is run (no grace limit), and several missed runs are run once.
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    cron: str
    task_path: str

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=settings.TIME_ZONE)


def scheduled_jobs() -> list[ScheduledJob]:
    """The jobs of `PAYERDESK_SCHEDULE`, in its order, each checked: a bad entry is an
    ImproperlyConfigured naming the job and what is wrong."""
    schedule: dict[str, dict[str, str]] = getattr(settings, "PAYERDESK_SCHEDULE", {})
    jobs = []
    for name, entry in schedule.items():
        where = f"PAYERDESK_SCHEDULE[{name!r}]"
        if not isinstance(entry, dict) or set(entry) != {"cron", "task"}:
            raise ImproperlyConfigured(f"{where} must be a dict with the keys 'cron' and 'task'.")
        job = ScheduledJob(name=name, cron=str(entry["cron"]), task_path=str(entry["task"]))
        _check_cron(where, job)
        task_of(job.task_path, where=where)
        jobs.append(job)
    return jobs


def _check_cron(where: str, job: ScheduledJob) -> None:
    fields = job.cron.split()
    # APScheduler 3 counts weekdays from Monday = 0, crontab from Sunday = 0: names only.
    if len(fields) == 5 and any(char.isdigit() for char in fields[4]):
        raise ImproperlyConfigured(
            f"{where}: name the weekdays (mon-fri), not {fields[4]!r}: numbers differ "
            "between crontab and APScheduler."
        )
    try:
        job.trigger()
    except ValueError as error:
        raise ImproperlyConfigured(f"{where}: cron {job.cron!r} is not valid: {error}") from None


def task_of(path: str, *, where: str = "the schedule") -> Task[[], Any]:
    try:
        found = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(f"{where}: cannot import task {path!r}: {error}") from None
    if not isinstance(found, Task):
        raise ImproperlyConfigured(f"{where}: {path!r} is not a django-tasks task.")
    return found


def enqueue(task_path: str) -> str:
    """What the scheduler runs on each trigger: queue the task for the workers. The
    scheduler's own threads hold database connections between runs: drop stale ones."""
    close_old_connections()
    try:
        result = task_of(task_path).enqueue()
    finally:
        close_old_connections()
    logger.info("Enqueued %s as task %s", task_path, result.id)
    return str(result.id)


def catch_up(jobs: list[ScheduledJob]) -> list[str]:
    """Enqueue every job once, in the schedule's order: what start-up runs."""
    return [enqueue(job.task_path) for job in jobs]


def schedule_jobs(
    scheduler: BaseScheduler, jobs: list[ScheduledJob], *, run: Callable[[str], str] = enqueue
) -> None:
    """Add each job to the (not yet started) scheduler on its cron trigger."""
    for job in jobs:
        scheduler.add_job(
            run, job.trigger(), args=[job.task_path], id=job.name, name=job.name,
            **JOB_DEFAULTS,
        )  # fmt: skip


def next_runs(jobs: list[ScheduledJob], now: datetime) -> list[tuple[ScheduledJob, datetime]]:
    """When each job runs next after `now` (aware)."""
    return [(job, job.trigger().get_next_fire_time(None, now)) for job in jobs]
