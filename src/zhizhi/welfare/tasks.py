"""Background work of welfare, through the django-tasks API (worker: `zhizhi worker`)."""

from __future__ import annotations

from django_tasks import task

from zhizhi.welfare.services import casefiles, enrolment, notices, receipts


@task()
def push_batch_task(batch_id: int) -> str:
    return receipts.push_batch(batch_id)


@task()
def retry_pushes_task() -> int:
    return receipts.retry_failed_pushes()


@task()
def send_notices_task() -> int:
    return notices.send_queued()


@task()
def reevaluate_all_task() -> list[dict]:
    """The periodic re-evaluation of every programme (schedule it nightly)."""
    return [vars(r) for r in enrolment.reevaluate_all()]


@task()
def reassess_risks_task() -> int:
    """Re-assess every open case file's risk (schedule it nightly, after the re-evaluation)."""
    return casefiles.reassess_risks()
