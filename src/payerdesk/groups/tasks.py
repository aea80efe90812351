"""Background jobs of group administration (django-tasks). Each is safe to run twice."""

from django_tasks import task


@task()
def import_run(job_id: int) -> str:
    """Import a queued enrollment file (834 or census); the job row records the outcome."""
    from payerdesk.groups.services.imports import import_job_run

    return import_job_run(job_id=job_id)
