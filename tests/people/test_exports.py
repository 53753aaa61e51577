"""Background exports through django-tasks with the real database backend and its `db_worker`."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from tests.people.helpers import read_xlsx
from zhizhi.core.errors import Forbidden, InvalidInput
from zhizhi.core.models import AuditAction, AuditEntry
from zhizhi.people import excel, services
from zhizhi.people.models import ExportJob, ExportStatus

# The worker runs in its own transactions, so these tests commit for real (and restore the seeded tags after).
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


@transactional
def test_db_worker_builds_the_requested_export_for_its_requester_only(client, personas, residents):
    chen = personas["chen"]
    job = services.request_export(chen, "residents", {"tags": ["低保"], "q": ""})
    assert job.status == ExportStatus.QUEUED and job.params == {"tags": ["低保"]}
    task = DBTaskResult.objects.get()
    assert task.task_path == "zhizhi.people.tasks.build_export"
    assert ExportJob.objects.get(pk=job.pk).task_id == str(task.id)

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.rows, job.error) == (ExportStatus.DONE, 1, "")
    assert job.finished_at is not None and job.filename.endswith(".xlsx")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    rows = read_xlsx(bytes(job.file))
    assert [r[0] for r in rows[1:]] == ["刘小红"]
    assert rows[1][1] == residents["a2"].id_number  # community staff may see whole numbers: audited
    assert AuditEntry.objects.filter(actor=chen, action=AuditAction.REVEAL).exists()

    client.force_login(chen)
    download = client.get(f"/people/exports/{job.pk}/download/")
    assert download.status_code == 200 and download["Content-Type"] == excel.XLSX
    assert download.content == bytes(job.file)
    api = client.get(f"/api/people/exports/{job.pk}").json()
    assert api["status"] == "done" and api["download_url"] == f"/api/people/exports/{job.pk}/download"
    assert client.get(api["download_url"]).content == bytes(job.file)
    client.force_login(personas["li"])
    assert client.get(f"/people/exports/{job.pk}/download/").status_code == 404
    assert client.get(f"/api/people/exports/{job.pk}/download").status_code == 404


@transactional
def test_a_failed_export_keeps_its_reason_and_can_be_retried(personas, households, monkeypatch):
    li = personas["li"]

    def broken(actor, params):
        raise RuntimeError("disk full")

    monkeypatch.setattr(excel, "export_households", broken)
    job = services.request_export(li, "households", {})
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportStatus.FAILED, "disk full")
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()

    monkeypatch.undo()
    services.retry_export(li, job)
    run_worker()
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows == 3
    assert all("*" in r[3] for r in read_xlsx(bytes(job.file))[1:])  # a dispatcher gets masked heads


@transactional
def test_a_job_runs_once_even_if_enqueued_twice(personas, residents):
    job = services.request_export(personas["chen"], "residents", {})
    services.enqueue_export(job.pk)
    run_worker()
    assert list(DBTaskResult.objects.values_list("return_value", flat=True).order_by("return_value")) == [
        "done",
        "skipped",
    ]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_export_requests_are_checked_before_they_are_queued(personas, residents):
    with pytest.raises(InvalidInput) as exc:
        services.request_export(personas["chen"], "cats", {})
    assert exc.value.field == "kind"
    with pytest.raises(InvalidInput) as exc:
        services.request_export(personas["chen"], "residents", {"grid": "12"})
    assert exc.value.field == "grid"
    with pytest.raises(Forbidden):
        services.request_export(personas["zhang"], "residents", {})
    assert not ExportJob.objects.exists()
