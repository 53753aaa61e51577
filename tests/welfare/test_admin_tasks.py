"""The back office for welfare data, the re-evaluation command and the background tasks."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.welfare.helpers import AS_OF
from zhizhi.cases.models import Notification, NotificationChannel
from zhizhi.welfare.models import BenefitNotice, Disbursement, Enrolment, NoticeStatus, PartnerAccount
from zhizhi.welfare.services import delivery, notices, receipts
from zhizhi.welfare.services import enrolment as enrol

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model",
    ["programme", "partner", "localstandard", "welfareprofile", "enrolment", "casefile", "disbursement"],
)
def test_the_admin_lists_welfare_records_for_an_administrator(client, personas, family, model):
    client.force_login(personas["admin"])
    assert client.get(reverse(f"admin:welfare_{model}_changelist")).status_code == 200


def test_community_staff_see_only_their_area_in_the_admin(client, personas, family, family_b, programmes):
    enrol.reevaluate_programme(programmes["power"], AS_OF)
    client.force_login(personas["chen"])
    page = client.get(reverse("admin:welfare_enrolment_changelist")).content.decode()
    assert "王大伯" in page and "赵叔" not in page
    assert client.get(reverse("admin:welfare_programme_changelist")).status_code == 403


def test_the_command_reevaluates_every_programme(family):
    out = StringIO()
    call_command("welfare_reevaluate", "--as-of", "2026-11-27", stdout=out)
    assert "power: 1 qualify, 1 new drafts, 0 flagged" in out.getvalue()
    assert Enrolment.objects.filter(programme__code="power").count() == 1


def test_queued_notices_are_sent_once(family, programmes, sun, frozen_clock):
    enrol.reevaluate_programme(programmes["water"], frozen_clock().date())
    enrol.verify_enrolments(sun, list(Enrolment.objects.values_list("pk", flat=True)))
    PartnerAccount.objects.create(
        partner=programmes["water"].partner, household=family["household"], account_number="W"
    )
    batch = delivery.run_cycle(sun, programmes["water"], "2026-11").batch
    receipts.import_receipt(sun, batch, "流水号,结果\nWATER-2026-11-01-00001,成功\n".encode(), "r.csv")
    for person in (family["wang"], family["wife"]):
        person.phone = "13900001111"
        person.save()
    assert notices.send_queued() == 1
    assert notices.send_queued() == 0
    notice = BenefitNotice.objects.get()
    assert notice.status == NoticeStatus.SENT
    assert Disbursement.objects.get().status == "accepted"
    # Handed to the platform's outbox as one SMS to the resident's phone, delivered after commit.
    sms = Notification.objects.get(event="benefit")
    assert (sms.channel, sms.address, sms.text) == (NotificationChannel.SMS, "13900001111", notice.text)
    assert sms.address_masked != "13900001111"


def test_a_notice_to_a_resident_without_a_phone_is_marked_failed(family, programmes, sun, frozen_clock):
    for person in (family["wang"], family["wife"]):
        person.phone = ""
        person.save()
    enrol.reevaluate_programme(programmes["water"], frozen_clock().date())
    enrol.verify_enrolments(sun, list(Enrolment.objects.values_list("pk", flat=True)))
    PartnerAccount.objects.create(
        partner=programmes["water"].partner, household=family["household"], account_number="W"
    )
    batch = delivery.run_cycle(sun, programmes["water"], "2026-11").batch
    receipts.import_receipt(sun, batch, "流水号,结果\nWATER-2026-11-01-00001,成功\n".encode(), "r.csv")
    assert notices.send_queued() == 0
    assert BenefitNotice.objects.get().status == NoticeStatus.FAILED
    assert not Notification.objects.filter(event="benefit").exists()
