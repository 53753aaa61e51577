"""The rule editor: the error's culprit is underlined where it stands in the rule (the editor's backdrop and the
excerpt below it), and the live check and preview answer as a fragment without saving anything."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from zhizhi.welfare import facts
from zhizhi.welfare.models import Programme
from zhizhi.welfare.rules import RuleError, Type, check
from zhizhi.welfare.views.programmes import marked

pytestmark = pytest.mark.django_db


def preview_url(code: str = "aged") -> str:
    return reverse("welfare:rule_preview", args=[code])


def test_a_posted_error_is_underlined_in_the_editor_and_the_excerpt(client, sun, family, frozen_clock):
    client.force_login(sun)
    rule = 'age >= 70 and "低保" in tagz'
    response = client.post(
        reverse("welfare:programme_detail", args=["aged"]), {"rule": rule, "do": "preview"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    # the backdrop holds the same text with the culprit marked: before + <mark>tagz</mark> + after
    assert (
        'age &gt;= 70 and &quot;低保&quot; in <mark class="rule-culprit" data-testid="rule-culprit">tagz</mark>'
        in page
    )
    assert 'data-error-start="22"' in page and 'data-error-end="26"' in page
    assert 'aria-invalid="true"' in page
    # the caret counts 低保 as two columns each
    assert '<span class="rule-caret">' + " " * 24 + "^^^^</span>" in page
    # the message is the one the rule language gives in the page's language (zh-hans), not English
    with translation.override("zh-hans"), pytest.raises(RuleError) as caught:
        check(rule, facts.vocabulary())
    assert "tagz" in caught.value.message and not caught.value.message.startswith("unknown")
    assert f"<strong>{escape(caught.value.message)}</strong>" in page


def test_the_facts_table_names_types_in_the_pages_language(client, sun, programmes):
    client.force_login(sun)
    page = client.get(reverse("welfare:programme_detail", args=["aged"])).content.decode()
    with translation.override("zh-hans"):
        tags = str(Type.TAGS.label)
    assert tags != Type.TAGS.value and f"<td>{tags}</td>" in page


def test_the_live_check_answers_with_a_fragment(client, sun, frozen_clock):
    client.force_login(sun)
    ok = client.post(preview_url(), {"rule": "age >= 75 and 独居", "do": "check"})
    assert ok.status_code == 200
    text = ok.content.decode()
    assert 'data-testid="rule-ok"' in text and "<html" not in text
    bad = client.post(preview_url(), {"rule": "age >= ", "do": "check"})
    assert bad.status_code == 400
    fragment = bad.content.decode()
    assert 'data-testid="rule-error"' in fragment and 'data-error-start="7"' in fragment
    assert '<mark class="rule-culprit"> </mark>' in fragment  # the end of the rule: a marked space


def test_the_preview_fragment_never_saves(client, sun, family, frozen_clock):
    client.force_login(sun)
    before = Programme.objects.get(code="aged").rule
    response = client.post(preview_url(), {"rule": "age >= 70", "do": "preview"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="preview-result"' in text and "王大伯" in text
    assert Programme.objects.get(code="aged").rule == before


def test_the_fragment_keeps_the_pages_scope(client, personas, advisors, frozen_clock):
    client.force_login(personas["zhang"])
    assert client.post(preview_url(), {"rule": "age >= 70", "do": "check"}).status_code == 403
    client.force_login(advisors["zhou"])  # an advisor may read a rule, not preview it over the area
    assert client.post(preview_url(), {"rule": "age >= 70", "do": "check"}).status_code == 200
    assert client.post(preview_url(), {"rule": "age >= 70", "do": "preview"}).status_code == 403
    assert client.post(preview_url("nope"), {"rule": "age >= 70", "do": "check"}).status_code == 404


def test_marked_cuts_multiline_rules_at_the_culprit():
    source = "age >= 70\nand bogus > 1"
    error = RuleError("unknown fact", source, 14, 19)
    cut = marked(error)
    assert (cut["before"], cut["culprit"], cut["after"]) == ("age >= 70\nand ", "bogus", " > 1")
    assert (cut["line_before"], cut["line_culprit"], cut["line_after"]) == ("and ", "bogus", " > 1")
