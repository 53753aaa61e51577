"""Background work of the people registry, through the django-tasks API (worker: `zhizhi worker`)."""

from __future__ import annotations

from django_tasks import task

from zhizhi.people import services


@task()
def build_export(job_id: int) -> str:
    """Build the .xlsx of one ExportJob (people.services.run_export); returns done, failed or skipped."""
    return services.run_export(job_id)
