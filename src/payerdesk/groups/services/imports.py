"""Enrollment imports (834 and census) in the foreground or as background jobs.

A file over `background_threshold()` bytes becomes an `ImportJob` that a django-tasks
worker (`payerdesk db_worker`) runs. The import itself is one transaction, so its
progress cannot be read from the job row while it runs: the worker writes the count
done to a small progress file beside the media files, which the status page reads.
The job row holds the state, the final counts and the result or the located error.
"""

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q, QuerySet
from django.utils import timezone

from payerdesk.core import permissions
from payerdesk.core.errors import ErrorCode, NotFound, NotPermitted, ServiceError
from payerdesk.core.models import User
from payerdesk.groups.models import ImportJob
from payerdesk.groups.services.census import census_apply
from payerdesk.groups.services.enrollment import Progress, enrollment_834_apply

DEFAULT_THRESHOLD = 1 << 20  # 1 MB: about 2,500 members of an 834


def background_threshold() -> int:
    """Uploads larger than this many bytes run as background jobs."""
    return int(getattr(settings, "PAYERDESK_IMPORT_BACKGROUND_BYTES", DEFAULT_THRESHOLD))


def estimate_total(kind: str, content: bytes) -> int:
    """Member loops (834) or rows (census) the file holds, for a progress bar; 0 unknown."""
    if kind == ImportJob.Kind.X834:
        separator = content[3:4] or b"*"
        return content.count(b"INS" + separator)
    if content[:4] == b"PK\x03\x04":
        return 0  # Excel: the sheet's size is only known once read
    return max(content.count(b"\n") - (0 if content.endswith(b"\n") else -1) - 1, 0)


def run_import(
    *,
    actor: User | None,
    kind: str,
    name: str,
    content: bytes,
    dry_run: bool,
    apply_audit: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Apply an 834 or a census; the result as JSON-ready data."""
    if kind == ImportJob.Kind.X834:
        result = enrollment_834_apply(
            actor=actor, name=name, content=content, dry_run=dry_run,
            apply_audit=apply_audit, progress=progress,
        )  # fmt: skip
        data = asdict(result)
        data["by_maintenance_type"] = dict(sorted(result.by_maintenance_type.items()))
        data["members"] = result.members
        return data
    return asdict(
        census_apply(actor=actor, name=name, content=content, dry_run=dry_run, progress=progress)
    )


def import_job_create(
    *, actor: User, kind: str, name: str, content: bytes, dry_run: bool,
    apply_audit: bool = False,
) -> ImportJob:  # fmt: skip
    """Store the upload and queue its import; the worker runs `import_job_run`."""
    from payerdesk.groups.tasks import import_run

    if not actor.has_perm("groups.add_member"):
        raise NotPermitted("Your role does not apply enrollment files.")
    digest = hashlib.sha256(content).hexdigest()
    job = ImportJob(
        kind=kind, name=name[:200], sha256=digest, size=len(content), dry_run=dry_run,
        apply_audit=apply_audit, total=estimate_total(kind, content), created_by=actor,
    )  # fmt: skip
    job.content.save(f"{digest}-{kind}", ContentFile(content), save=False)
    job.save()
    import_run.enqueue(job.pk)
    job.refresh_from_db()  # the immediate backend (tests, no worker) has run it already
    return job


def import_job_run(*, job_id: int) -> str:
    """Run a queued job once (a second delivery finds it started and does nothing)."""
    started = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).update(
        state=ImportJob.State.RUNNING, started_at=timezone.now()
    )
    if not started:
        return "not queued"
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with job.content.open("rb") as stored:
        content = stored.read()
    try:
        result = run_import(
            actor=job.created_by, kind=job.kind, name=job.name, content=content,
            dry_run=job.dry_run, apply_audit=job.apply_audit,
            progress=lambda done: progress_write(job.pk, done),
        )  # fmt: skip
    except ServiceError as error:
        job.state, job.error = ImportJob.State.FAILED, error.message
    else:
        job.state, job.result = ImportJob.State.DONE, result
        job.processed = int(result.get("members", result.get("rows", 0)))
        job.total = max(job.total, job.processed)
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "result", "processed", "total", "finished_at"])
    progress_path(job.pk).unlink(missing_ok=True)
    return job.state


def progress_path(job_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "import-progress" / f"{job_id}.json"


def progress_write(job_id: int, done: int) -> None:
    path = progress_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps({"processed": done}))
    partial.replace(path)  # readers never see half a file


def progress_read(job: ImportJob) -> int:
    if job.state != ImportJob.State.RUNNING:
        return job.processed
    try:
        return int(json.loads(progress_path(job.pk).read_text())["processed"])
    except (OSError, ValueError, KeyError):
        return 0


def import_jobs_visible_to(user: User) -> QuerySet[ImportJob]:
    """Who may read the file may read its job: the uploader, and unscoped staff who may
    see every group's members (supervisors, auditors, administrators)."""
    jobs = ImportJob.objects.all()
    if user.has_perm("groups.view_member") and not permissions.is_market_scoped(user):
        return jobs
    return jobs.filter(Q(created_by=user))


def import_job_get(*, user: User, job_id: int) -> ImportJob:
    job = import_jobs_visible_to(user).filter(pk=job_id).first()
    if job is None:
        raise NotFound(ErrorCode.NOT_FOUND, f"No import job {job_id}.")
    return job


def percent(job: ImportJob, processed: int) -> int:
    if job.state == ImportJob.State.DONE:
        return 100
    return min(99, processed * 100 // job.total) if job.total else 0
