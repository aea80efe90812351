from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from payerdesk.core import schedule


class Command(BaseCommand):
    help = (
        "Enqueue the scheduled jobs (settings.PAYERDESK_SCHEDULE) on their cron expressions "
        "for the task workers; each job once at start-up to catch up. Run exactly one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Enqueue every job once and exit (for cron)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = schedule.scheduled_jobs()
        for job, next_run in schedule.next_runs(jobs, timezone.now()):
            self.stdout.write(f"{job.name}: {job.cron} -> {job.task_path}, next {next_run}")
        ids = schedule.catch_up(jobs)
        self.stdout.write(f"Enqueued {len(ids)} job(s) to catch up.")
        if options["once"]:
            return
        scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
        schedule.schedule_jobs(scheduler, jobs)
        self.stdout.write("Scheduler running (Ctrl-C stops it).")
        self.stdout.flush()
        try:
            scheduler.start()
        except KeyboardInterrupt:
            scheduler.shutdown(wait=False)
