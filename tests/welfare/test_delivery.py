"""Benefit delivery by data exchange: the batch file (golden), the receipt with rejected rows (golden),
re-running a cycle pays nobody twice, the HTTP push to a partner's endpoint (a stub on 127.0.0.1)."""

from __future__ import annotations

import io
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from openpyxl import load_workbook

from tests.welfare.helpers import AS_OF
from zhizhi.core.errors import Forbidden, InvalidInput, RowErrors
from zhizhi.core.models import AuditEntry
from zhizhi.welfare.exchange import formats
from zhizhi.welfare.models import (
    BatchStatus,
    BenefitNotice,
    Disbursement,
    DisbursementStatus,
    Enrolment,
    Partner,
    PartnerAccount,
)
from zhizhi.welfare.services import delivery, receipts
from zhizhi.welfare.services import enrolment as enrol

pytestmark = pytest.mark.django_db
GOLDEN = Path(__file__).parent / "golden"


def enrol_all(programme, actor):
    enrol.reevaluate_programme(programme, AS_OF)
    enrol.verify_enrolments(
        actor, list(Enrolment.objects.filter(programme=programme).values_list("pk", flat=True))
    )


@pytest.fixture
def utilities(family, family_b, programmes, sun, frozen_clock):
    """Both 低保 households enrolled for electricity and water; only 王大伯's has account numbers."""
    for code in ("power", "water"):
        enrol_all(programmes[code], sun)
    Partner.objects.filter(code="state-grid").update(hash_salt="golden-salt")
    PartnerAccount.objects.create(
        partner=programmes["power"].partner, household=family["household"], account_number="3301001234567"
    )
    PartnerAccount.objects.create(
        partner=programmes["water"].partner, household=family["household"], account_number="W-0088123"
    )
    PartnerAccount.objects.create(
        partner=programmes["water"].partner, household=family_b["household"], account_number="W-0099456"
    )
    for p in programmes.values():
        p.refresh_from_db()
    return programmes


def test_golden_csv_batch_for_the_water_company(utilities, sun):
    result = delivery.run_cycle(sun, utilities["water"], "2026-11")
    assert (result.created, result.held, result.already) == (2, 0, 0)
    assert result.batch.reference == "WATER-2026-11-01"
    name, data, kind = delivery.hand_over_file(sun, result.batch)
    assert name == "WATER-2026-11-01.csv" and kind.startswith("text/csv")
    assert data == (GOLDEN / "water-2026-11.csv").read_bytes()
    result.batch.refresh_from_db()
    assert result.batch.status == BatchStatus.SENT
    assert AuditEntry.objects.filter(action="export", object_id=str(result.batch.pk)).exists()


def test_golden_xlsx_batch_for_the_power_company_with_hashed_ids(utilities, sun, family):
    result = delivery.run_cycle(sun, utilities["power"], "2026-11")
    assert (result.created, result.held) == (2, 1)  # 赵叔's household has no electricity account yet
    name, data, _ = delivery.hand_over_file(sun, result.batch)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "2026-11"
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows == json.loads((GOLDEN / "power-2026-11.json").read_text())
    # the digest is what the power company recomputes from the whole ID number and the agreed salt
    assert rows[1][3] == formats.id_hash(family["wang"].id_number, "golden-salt")
    reveal = AuditEntry.objects.get(action="reveal", object_id=str(result.batch.pk))
    assert reveal.summary == "used 1 whole ID numbers to hash them for 国网杭州供电公司"


def test_golden_receipt_with_rejected_rows(utilities, sun, family, family_b):
    batch = delivery.run_cycle(sun, utilities["water"], "2026-11").batch
    receipt = (GOLDEN / "water-2026-11-receipt.csv").read_bytes()
    counts = receipts.import_receipt(sun, batch, receipt, "water-2026-11-receipt.csv")
    assert counts == {"accepted": 1, "rejected": 1, "unchanged": 0}
    batch.refresh_from_db()
    assert (batch.status, batch.accepted, batch.rejected) == (BatchStatus.RECEIPTED, 1, 1)
    got = list(
        Disbursement.objects.filter(batch=batch)
        .order_by("payee_key")
        .values_list("resident__name", "status", "reason")
    )
    assert got == [("王大伯", "accepted", ""), ("赵叔", "rejected", "户号与户主姓名不符")]
    notice = BenefitNotice.objects.get()
    assert notice.resident == family["wang"]
    assert notice.text == "【智治】水费减免：2026-11 期 5 立方米 已发放到账。"
    # importing the same receipt again changes nothing
    assert receipts.import_receipt(sun, batch, receipt, "again.csv") == {
        "accepted": 0,
        "rejected": 0,
        "unchanged": 2,
    }


def test_a_receipt_with_bad_rows_is_refused_whole(utilities, sun):
    batch = delivery.run_cycle(sun, utilities["water"], "2026-11").batch
    bad = (
        "流水号,结果,原因\r\nWATER-2026-11-01-00001,成功,\r\nNOPE-1,成功,\r\nWATER-2026-11-01-00002,失败,\r\n"
    )
    with pytest.raises(RowErrors) as caught:
        receipts.import_receipt(sun, batch, bad.encode(), "bad.csv")
    assert caught.value.errors == [{"row": 4, "column": "原因", "reason": "a rejected row needs a reason"}]
    unknown = "流水号,结果,原因\r\nWATER-2026-11-01-00001,成功,\r\nNOPE-1,成功,\r\n"
    with pytest.raises(RowErrors) as caught:
        receipts.import_receipt(sun, batch, unknown.encode(), "bad.csv")
    assert caught.value.errors == [
        {"row": 3, "column": "流水号", "reason": "NOPE-1 is not a row of WATER-2026-11-01"}
    ]
    assert set(Disbursement.objects.values_list("status", flat=True)) == {DisbursementStatus.SENT}


def test_rerunning_a_cycle_pays_nobody_twice(utilities, sun, family_b):
    water = utilities["water"]
    first = delivery.run_cycle(sun, water, "2026-11")
    again = delivery.run_cycle(sun, water, "2026-11")
    assert first.batch.line_count == 2
    assert (again.batch, again.created, again.already) == (None, 0, 2)
    assert Disbursement.objects.filter(programme=water, period="2026-11").count() == 2
    receipts.import_receipt(sun, first.batch, (GOLDEN / "water-2026-11-receipt.csv").read_bytes(), "r.csv")
    rejected = Disbursement.objects.get(status=DisbursementStatus.REJECTED)
    PartnerAccount.objects.filter(household=family_b["household"]).update(account_number="W-0099457")
    delivery.resend_disbursement(sun, rejected.pk)
    third = delivery.run_cycle(sun, water, "2026-11")
    assert third.batch.reference == "WATER-2026-11-02"
    assert [line.payload["account_number"] for line in third.batch.lines.all()] == ["W-0099457"]
    assert delivery.run_cycle(sun, water, "2026-11").batch is None
    assert Disbursement.objects.filter(programme=water, period="2026-11").count() == 2
    # the next month is a new cycle
    assert delivery.run_cycle(sun, water, "2026-12").batch.line_count == 2


def test_the_database_itself_refuses_a_second_payment_in_a_cycle(utilities, sun):
    delivery.run_cycle(sun, utilities["water"], "2026-11")
    d = Disbursement.objects.first()
    d.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        d.save()


def test_a_held_payee_is_sent_once_the_account_number_is_known(utilities, sun, family_b):
    power = utilities["power"]
    delivery.run_cycle(sun, power, "2026-11")
    held = Disbursement.objects.get(status=DisbursementStatus.HELD)
    assert held.reason == "no account number with 国网杭州供电公司"
    delivery.set_partner_account(sun, power, resident_id=family_b["zhao"].pk, account_number="3301009999999")
    second = delivery.run_cycle(sun, power, "2026-11")
    assert [line.payload["account_number"] for line in second.batch.lines.all()] == ["3301009999999"]


def test_periods_follow_the_cycle_and_in_kind_programmes_are_not_exchanged(utilities, sun):
    with pytest.raises(InvalidInput) as caught:
        delivery.run_cycle(sun, utilities["water"], "2026-13")
    assert caught.value.field == "period"
    with pytest.raises(InvalidInput) as caught:
        delivery.run_cycle(sun, utilities["alone-care"], "2026-11")
    assert caught.value.field == "programme"


def test_only_delivery_staff_run_cycles(utilities, personas):
    with pytest.raises(Forbidden):
        delivery.run_cycle(personas["chen"], utilities["water"], "2026-11")


def test_formula_amounts_are_computed_per_payee(family, programmes, sun, frozen_clock):
    enrol.reevaluate_programme(programmes["dibao"], AS_OF)
    e = Enrolment.objects.get(programme=programmes["dibao"])
    enrol.verify_enrolments(sun, [e.pk])
    enrol.record_consent(sun, e.pk, method="signed", given_by="王大伯")
    PartnerAccount.objects.create(
        partner=programmes["dibao"].partner, household=family["household"], account_number="6217000011112222"
    )
    batch = delivery.run_cycle(sun, programmes["dibao"], "2026-11").batch
    # (1245 - 350) × 2 members
    assert batch.total == Decimal("1790.00")
    assert batch.lines.get().payload == {
        "reference": "DIBAO-2026-11-01-00001",
        "account_number": "6217000011112222",
        "holder_name": "王大伯",
        "id_masked": family["wang"].id_number_masked,
        "amount": "1790.00",
        "period": "2026-11",
    }


# --- push to the partner's HTTP endpoint --------------------------------------------------------------------


class Stub(BaseHTTPRequestHandler):
    received: list = []
    status = 200
    answer: dict = {}

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers["Content-Length"])
        Stub.received.append(json.loads(self.rfile.read(length)))
        body = json.dumps(Stub.answer).encode()
        self.send_response(Stub.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def partner_server():
    Stub.received, Stub.status, Stub.answer = [], 200, {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/zhizhi/batches"
    server.shutdown()
    server.server_close()


@pytest.fixture
def home_care(family, programmes, sun, partner_server, frozen_clock):
    """王大伯 (72, in a 低保 household) gets service points on the eldercare platform, which is pushed to."""
    programme = programmes["home-care"]
    Partner.objects.filter(code="eldercare-platform").update(endpoint_url=partner_server)
    enrol.reevaluate_programme(programme, AS_OF)
    e = Enrolment.objects.get(programme=programme, resident=family["wang"])
    enrol.verify_enrolments(sun, [e.pk])
    enrol.record_consent(sun, e.pk, method="phone", given_by="王大伯")
    programme.refresh_from_db()
    return programme


def test_a_batch_is_pushed_to_the_partner_and_its_answer_closes_the_loop(
    home_care, sun, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        batch = delivery.run_cycle(sun, home_care, "2026-11").batch
    assert len(callbacks) == 1  # the push is queued after commit
    Stub.answer = {"results": [{"reference": "HOME-CARE-2026-11-01-00001", "result": "accepted"}]}
    assert receipts.push_batch(batch.pk) == BatchStatus.SENT
    (document,) = Stub.received
    assert document["batch"] == "HOME-CARE-2026-11-01"
    assert document["rows"][0]["holder_name"] == "王大伯" and document["rows"][0]["quantity"] == "300"
    batch.refresh_from_db()
    assert (batch.status, batch.accepted) == (BatchStatus.RECEIPTED, 1)
    assert Disbursement.objects.get(batch=batch).status == DisbursementStatus.ACCEPTED


def test_a_failed_push_is_kept_and_retried(home_care, sun):
    batch = delivery.run_cycle(sun, home_care, "2026-11").batch
    Stub.status = 503
    assert receipts.push_batch(batch.pk) == BatchStatus.PUSH_FAILED
    batch.refresh_from_db()
    assert batch.push_attempts == 1 and "503" in batch.push_error
    Stub.status = 200
    assert receipts.retry_failed_pushes() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.push_attempts, batch.push_error) == (BatchStatus.SENT, 2, "")
    assert len(Stub.received) == 2
