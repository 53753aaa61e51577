"""Threshold tuning from alarm outcomes: what the outcomes propose (pure), the floor (24 h, 12 h for 失能),
proposals written when alarms are resolved, accepting and dismissing on the alarm page (who, why, before,
after; audited), stale proposals, and automatic tuning within the safe bounds."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.urls import reverse

from zhizhi.core.errors import Conflict, Forbidden
from zhizhi.core.models import AuditEntry
from zhizhi.sensors.detection.rules import RuleConfig
from zhizhi.sensors.models import ThresholdChange, TuningStatus, Watch
from zhizhi.sensors.services import alarms, tuning

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
_keys = itertools.count(1)

F, H, S = "false_alarm", "hospital", "safe"


def outcomes(*kinds: str) -> list[tuple[int, str, str]]:
    return [(n, kind, "去女儿家了" if kind == F else "") for n, kind in enumerate(kinds, 1)]


# ------------------------------------------------------------------------------------------- pure rules


def test_two_false_alarms_loosen_one_step():
    found = tuning.suggest("night_door_open", RuleConfig(), outcomes(F, F))
    assert (found.parameter, found.before, found.after) == ("night_door_open_min", 10.0, 15.0)
    assert found.evidence == {"alarms": [1, 2], "real": 0, "false": 2, "safe": 0, "notes": ["去女儿家了"]}
    assert "去女儿家了" in found.reason


@pytest.mark.parametrize("rows", [(F,), (F, S, S), (S, S, S)])
def test_too_little_evidence_proposes_nothing(rows):
    assert tuning.suggest("night_door_open", RuleConfig(), outcomes(*rows)) is None


def test_a_real_emergency_tightens_back_to_the_default_first_then_a_step():
    loosened = RuleConfig(door_left_open_min=60)
    assert tuning.suggest("door_left_open", loosened, outcomes(F, H)).after == 30
    assert tuning.suggest("door_left_open", RuleConfig(), outcomes(H)).after == 15
    assert tuning.suggest("door_left_open", RuleConfig(door_left_open_min=15), outcomes(H)) is None


def test_alpha_is_halved_to_loosen_and_doubled_to_tighten():
    alpha = RuleConfig().alpha
    assert tuning.suggest("improbable_silence", RuleConfig(), outcomes(F, F)).after == pytest.approx(
        alpha / 2
    )
    assert tuning.suggest("improbable_silence", RuleConfig(), outcomes(H)).after == pytest.approx(alpha * 2)
    assert tuning.suggest("improbable_silence", RuleConfig(alpha=0.005), outcomes(F, F, F)) is None


@pytest.mark.parametrize(
    ("disabled", "current", "expected"),
    [(False, 24.0, None), (False, 20.0, 22.0), (False, 23.0, 24.0), (True, 12.0, None), (True, 11.0, 12.0)],
)
def test_no_activity_never_goes_beyond_24_hours_or_12_for_the_disabled(disabled, current, expected):
    config = RuleConfig.for_person(disabled=disabled, no_activity_h=current)
    found = tuning.suggest("no_activity", config, outcomes(F, F, F), disabled=disabled)
    assert (found.after if found else None) == expected


def test_every_knob_stays_within_its_floor_however_often_it_is_loosened():
    for kind, knob in tuning.KNOBS.items():
        config = RuleConfig()
        for _ in range(30):
            found = tuning.suggest(kind, config, outcomes(F, F))
            if found is None:
                break
            config = RuleConfig.from_dict({**config.as_dict(), knob.parameter: found.after})
        value = getattr(config, knob.parameter)
        assert value == knob.least, kind


# ------------------------------------------------------------------------------------------- with alarms


def resolved(watch: Watch, actor, outcome: str, kind: str = "night_door_open", note: str = "去女儿家了"):
    n = next(_keys)
    alarm = alarms.raise_alarm(watch, kind, START, f"t{watch.pk}:{kind}:{n}", silence_since=START)
    return alarms.resolve_alarm(actor, alarm, outcome, note)


@pytest.fixture
def two_false(zhang_watch, personas):
    resolved(zhang_watch, personas["xiaowang"], F)
    last = resolved(zhang_watch, personas["xiaowang"], F)
    return last


def test_resolving_alarms_writes_one_proposal(zhang_watch, personas):
    resolved(zhang_watch, personas["xiaowang"], F)
    assert not ThresholdChange.objects.exists()
    resolved(zhang_watch, personas["xiaowang"], F)
    resolved(zhang_watch, personas["xiaowang"], F)
    (row,) = ThresholdChange.objects.all()
    assert (row.parameter, row.before, row.after, row.status) == ("night_door_open_min", 10, 15, "proposed")
    assert row.evidence["false"] == 3
    assert Watch.objects.get(pk=zhang_watch.pk).config.get("night_door_open_min") is None  # not applied


def test_the_alarm_page_shows_the_proposal_and_staff_accept_it(client, personas, two_false, zhang_watch):
    url = reverse("sensors:alarm_detail", args=[two_false.pk])
    proposal = ThresholdChange.objects.get()
    accept = reverse("sensors:proposal_accept", args=[two_false.watch_id, proposal.pk])
    client.force_login(personas["xiaowang"])  # a grid worker sees it but may not change thresholds
    html = client.get(url).content.decode()
    assert 'data-testid="proposal"' in html and 'data-testid="accept-proposal"' not in html
    assert client.post(accept).status_code == 403
    client.force_login(personas["outsider"])
    assert client.post(accept).status_code == 404
    client.force_login(personas["chen"])
    html = client.get(url).content.decode()
    assert 'data-testid="accept-proposal"' in html
    response = client.post(accept, {"note": "她常去女儿家", "next": url})
    assert response.status_code == 302 and response.url == url
    zhang_watch.refresh_from_db()
    assert zhang_watch.config["night_door_open_min"] == 15
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.before, proposal.after, proposal.automatic) == (
        TuningStatus.APPLIED,
        personas["chen"],
        10,
        15,
        False,
    )
    assert proposal.decision_note == "她常去女儿家" and proposal.reason
    entry = AuditEntry.objects.get(object_type="sensors.watch", summary__startswith="threshold")
    assert entry.changes["night_door_open_min"] == ["10.0", "15.0"] and entry.actor == personas["chen"]
    html = client.get(url).content.decode()
    assert 'data-testid="proposal"' not in html and 'data-status="applied"' in html


def test_outcomes_before_a_decision_are_not_counted_again(client, personas, two_false, zhang_watch):
    tuning.accept(personas["chen"], ThresholdChange.objects.get())
    resolved(zhang_watch, personas["xiaowang"], F)
    assert not ThresholdChange.objects.filter(status=TuningStatus.PROPOSED).exists()
    resolved(zhang_watch, personas["xiaowang"], F)
    row = ThresholdChange.objects.get(status=TuningStatus.PROPOSED)
    assert (row.before, row.after, row.evidence["false"]) == (15, 20, 2)


def test_a_dismissed_proposal_is_kept_and_its_outcomes_not_proposed_again(client, personas, two_false):
    proposal = ThresholdChange.objects.get()
    client.force_login(personas["chen"])
    client.post(
        reverse("sensors:proposal_dismiss", args=[two_false.watch_id, proposal.pk]), {"note": "先观察"}
    )
    proposal.refresh_from_db()
    assert proposal.status == TuningStatus.DISMISSED and proposal.decided_by == personas["chen"]
    assert tuning.propose(Watch.objects.get(pk=proposal.watch_id)) == []
    with pytest.raises(Conflict):
        tuning.accept(personas["chen"], proposal)


def test_a_hospital_outcome_proposes_more_sensitivity(personas, zhang_watch):
    resolved(zhang_watch, personas["xiaowang"], H, kind="no_activity", note="摔倒了")
    row = ThresholdChange.objects.get()
    assert (row.parameter, row.before, row.after) == ("no_activity_h", 24, 22)


def test_a_stale_proposal_is_refused(personas, two_false, zhang_watch):
    Watch.objects.filter(pk=zhang_watch.pk).update(config={"night_door_open_min": 12})
    with pytest.raises(Conflict) as err:
        tuning.accept(personas["chen"], ThresholdChange.objects.get())
    assert err.value.field == "before"
    assert Watch.objects.get(pk=zhang_watch.pk).config == {"night_door_open_min": 12}


def test_accepting_checks_the_floor_again(personas, zhang_watch):
    from zhizhi.people.models import Tag

    Watch.objects.filter(pk=zhang_watch.pk).update(config={"no_activity_h": 10})
    zhang_watch.refresh_from_db()
    for _ in range(2):
        resolved(zhang_watch, personas["xiaowang"], F, kind="no_activity")
    proposal = ThresholdChange.objects.get()
    assert proposal.after == 12
    proposal.after = 14  # as if proposed before she was found disabled … and then she is
    proposal.save()
    tag, _ = Tag.objects.get_or_create(name="失能", defaults={"code": "shineng"})
    personas["zhang_record"].tags.add(tag)
    tuning.accept(personas["chen"], proposal)
    assert Watch.objects.get(pk=zhang_watch.pk).config["no_activity_h"] == 12


def test_only_staff_in_scope_may_accept(personas, two_false):
    proposal = ThresholdChange.objects.get()
    for persona in ("xiaowang", "outsider", "li", "zhang"):
        with pytest.raises(Forbidden):
            tuning.accept(personas[persona], proposal)
    assert ThresholdChange.objects.get().status == TuningStatus.PROPOSED


def test_automatic_tuning_applies_within_the_safe_bounds_only(settings, personas, zhang_watch):
    settings.SENSORS_AUTO_TUNE = True
    resolved(zhang_watch, personas["xiaowang"], F)
    resolved(zhang_watch, personas["xiaowang"], F)
    row = ThresholdChange.objects.get()
    assert (row.status, row.automatic, row.decided_by, row.after) == (TuningStatus.APPLIED, True, None, 15)
    assert Watch.objects.get(pk=zhang_watch.pk).config["night_door_open_min"] == 15
    for _ in range(2):
        resolved(zhang_watch, personas["xiaowang"], F)
    assert Watch.objects.get(pk=zhang_watch.pk).config["night_door_open_min"] == 20  # the automatic bound
    for _ in range(2):
        resolved(zhang_watch, personas["xiaowang"], F)
    pending = ThresholdChange.objects.get(status=TuningStatus.PROPOSED)
    assert (pending.before, pending.after) == (20, 25)  # beyond it: waits for a person
    assert Watch.objects.get(pk=zhang_watch.pk).config["night_door_open_min"] == 20


def test_without_auto_tuning_nothing_changes_by_itself(settings, personas, two_false, zhang_watch):
    assert Watch.objects.get(pk=zhang_watch.pk).config == {}
    assert tuning.propose_all() == 0  # the open proposal is the same: nothing new


def test_the_resolve_form_requires_a_reason_for_a_false_alarm(client, personas, zhang_watch):
    alarm = alarms.raise_alarm(zhang_watch, "night_door_open", START, "t-form", silence_since=START)
    client.force_login(personas["xiaowang"])
    url = reverse("sensors:alarm_detail", args=[alarm.pk])
    assert "this.form.note.required" in client.get(url).content.decode()
    response = client.post(reverse("sensors:alarm_resolve", args=[alarm.pk]), {"outcome": F}, follow=True)
    assert "note:" in response.content.decode()  # the message names the field
    alarm.refresh_from_db()
    assert alarm.status == "open"


def test_the_persons_page_shows_thresholds_proposals_and_alarms(client, personas, two_false, zhang_watch):
    url = reverse("sensors:watch_detail", args=[zhang_watch.pk])
    client.force_login(personas["outsider"])
    assert client.get(url).status_code == 404
    client.force_login(personas["xiaowang"])
    board = client.get(reverse("sensors:board")).content.decode()
    assert url in board
    html = client.get(url).content.decode()
    assert 'data-parameter="night_door_open_min" data-value="10.0"' in html
    assert 'data-testid="proposal"' in html and 'data-testid="accept-proposal"' not in html
    assert reverse("sensors:alarm_detail", args=[two_false.pk]) in html
    client.force_login(personas["chen"])
    proposal = ThresholdChange.objects.get()
    response = client.post(reverse("sensors:proposal_accept", args=[zhang_watch.pk, proposal.pk]))
    assert response.status_code == 302 and response.url == url
    html = client.get(url).content.decode()
    assert 'data-parameter="night_door_open_min" data-value="15.0"' in html
    assert "去女儿家了" in html  # the notes of the false alarms, in the reason shown
    response = client.post(
        reverse("sensors:proposal_accept", args=[zhang_watch.pk, proposal.pk]), follow=True
    )
    assert "status:" in response.content.decode()  # decided already: the message names the field


def test_an_offsite_next_is_ignored(client, personas, two_false, zhang_watch):
    proposal = ThresholdChange.objects.get()
    client.force_login(personas["chen"])
    response = client.post(
        reverse("sensors:proposal_dismiss", args=[zhang_watch.pk, proposal.pk]),
        {"next": "https://evil.example/"},
    )
    assert response.url == reverse("sensors:watch_detail", args=[zhang_watch.pk])


def test_the_api_lists_and_accepts_proposals(client, personas, two_false, zhang_watch):
    client.force_login(personas["outsider"])
    assert client.get(f"/api/sensors/watches/{zhang_watch.pk}/proposals").status_code == 404
    client.force_login(personas["xiaowang"])
    (row,) = client.get(f"/api/sensors/watches/{zhang_watch.pk}/proposals").json()
    assert (row["parameter"], row["status"], row["after"]) == ("night_door_open_min", "proposed", 15)
    url = f"/api/sensors/watches/{zhang_watch.pk}/proposals/{row['id']}/accept"
    assert client.post(url, {}, content_type="application/json").status_code == 403
    client.force_login(personas["chen"])
    response = client.post(url, {"note": "ok"}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decided_by"]) == ("applied", "chen")
    assert client.post(url, {}, content_type="application/json").json()["error"]["field"] == "status"


def test_the_persons_page_is_a_fixed_number_of_queries(
    client, personas, zhang_watch, django_assert_max_num_queries
):
    for _ in range(4):
        resolved(zhang_watch, personas["xiaowang"], F)
        resolved(zhang_watch, personas["xiaowang"], F)
        tuning.accept(personas["chen"], ThresholdChange.objects.get(status=TuningStatus.PROPOSED))
    assert Watch.objects.get(pk=zhang_watch.pk).config["night_door_open_min"] == 30  # the floor
    resolved(zhang_watch, personas["xiaowang"], F)
    resolved(zhang_watch, personas["xiaowang"], F)
    assert not ThresholdChange.objects.filter(status=TuningStatus.PROPOSED).exists()  # nothing beyond it
    client.force_login(personas["chen"])
    with django_assert_max_num_queries(12):
        html = client.get(reverse("sensors:watch_detail", args=[zhang_watch.pk])).content.decode()
    assert html.count('data-testid="threshold-change"') == 4
