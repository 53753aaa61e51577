"""The eligibility rule language on its own: parse, check, evaluate, explain, errors (in English and Chinese)."""

from __future__ import annotations

import pytest
from django.utils import translation

from zhizhi.welfare.rules import RuleError, Type, Vocabulary, check, evaluate, explain, matches, parse
from zhizhi.welfare.rules import nodes as n

TAGS = {
    "低保": "dibao",
    "dibao": "dibao",
    "独居": "alone",
    "alone": "alone",
    "特困": "tekun",
    "tekun": "tekun",
}
V = Vocabulary.standard(TAGS)
AUNT = {
    "age": 85,
    "sex": "F",
    "tags": frozenset({"alone"}),
    "disability_grade": 0,
    "chronic_illness": True,
    "income": 900.0,
    "household_size": 1,
    "per_capita_income": 900.0,
    "household_tags": frozenset({"alone"}),
    "living_alone": True,
    "dibao_standard": 1245.0,
    "dibian_standard": 1867.5,
}


def run(source: str, **changes):
    return evaluate(check(source, V).tree, AUNT | changes)


# --- parsing ------------------------------------------------------------------------------------------------


def test_and_binds_tighter_than_or_and_not_tighter_than_and():
    tree = parse("a or b and not c")
    assert isinstance(tree, n.Or)
    assert isinstance(tree.operands[1], n.And)
    assert isinstance(tree.operands[1].operands[1], n.Not)


def test_arithmetic_has_the_usual_precedence():
    assert run("1 + 2 * 3 == 7") is True
    assert run("(1 + 2) * 3 == 9") is True
    assert run("10 - 2 - 3 == 5") is True
    assert run("-age < 0") is True


def test_comments_spaces_and_line_breaks_are_ignored():
    assert run("age >= 80  # 高龄\n and living_alone") is True


def test_chinese_aliases_and_full_width_punctuation_are_understood():
    assert run('年龄 ≥ 80 and （"独居" in 标签）') is True
    assert run("人均收入 < 低保标准") is True


def test_tags_are_found_by_name_or_code():
    assert run('"独居" in tags') is True
    assert run('"alone" in tags') is True
    assert run('"低保" not in tags') is True


def test_lists_hold_values_for_in():
    assert run("disability_grade in [0, 1]") is True
    assert run('sex in ["M"]') is False


def test_if_then_else_and_min_max_compute_amounts():
    formula = check("if age >= 100 then 500 else if age >= 90 then 200 else 100", V, Type.NUMBER)
    assert evaluate(formula.tree, AUNT) == 100
    assert evaluate(formula.tree, AUNT | {"age": 95}) == 200
    assert run("min(income, 500) == 500") is True
    assert run("max(income, dibao_standard) == dibao_standard") is True


def test_the_dibao_gap_formula():
    formula = check("(dibao_standard - per_capita_income) * household_size", V, Type.NUMBER)
    assert evaluate(formula.tree, AUNT | {"per_capita_income": 400.0, "household_size": 2}) == 1690.0


# --- three-valued logic: what SQL does with NULL ------------------------------------------------------------


def test_unknown_income_matches_neither_a_rule_nor_its_negation():
    assert run("income < 1000", income=None) is None
    assert run("not (income < 1000)", income=None) is None


def test_unknown_and_false_is_false_and_unknown_or_true_is_true():
    assert run("income < 1000 and age < 10", income=None) is False
    assert run("income < 1000 or age > 10", income=None) is True


def test_division_by_zero_is_unknown_not_an_error():
    assert run("age / (household_size - 1) > 1") is None


def test_if_with_an_unknown_condition_takes_the_else_branch():
    assert run("(if income > 0 then 1 else 2) == 2", income=None) is True


def test_matches_only_when_true():
    rule = check("income < 1000", V)
    assert matches(rule, AUNT) is True
    assert matches(rule, AUNT | {"income": None}) is False


# --- explanations -------------------------------------------------------------------------------------------


def test_explanation_shows_each_clause_with_the_values_it_used():
    rule = check('age >= 80 and ("特困" in tags or income < dibao_standard)', V)
    step = explain(rule, AUNT)
    assert step.held
    assert [c.text for c in step.children] == ["age >= 80", '("特困" in tags or income < dibao_standard)']
    assert step.children[0].facts == {"age": 85}
    inner = step.children[1].children
    assert inner[0].value is False and inner[1].value is True
    assert step.lines() == [
        '✓ age >= 80 and ("特困" in tags or income < dibao_standard)',
        "  ✓ age >= 80  (age = 85)",
        '  ✓ ("特困" in tags or income < dibao_standard)',
        '    ✗ "特困" in tags  (tags = alone)',
        "    ✓ income < dibao_standard  (dibao_standard = 1245, income = 900)",
    ]


def test_explanation_of_a_failed_rule_marks_the_failing_clause():
    step = explain(check("age >= 90 and living_alone", V), AUNT)
    assert not step.held
    assert [c.held for c in step.children] == [False, True]
    assert step.as_dict()["children"][0]["facts"] == {"age": "85"}


def test_explanation_says_unknown_for_missing_income():
    with translation.override("en"):
        lines = explain(check("income < 1000", V), AUNT | {"income": None}).lines()
    assert lines == ["? income < 1000  (income = unknown)"]


def test_explanation_values_are_in_the_active_language():
    rule = check("income < 1000 and chronic_illness", V)
    with translation.override("zh-hans"):
        step = explain(rule, AUNT | {"income": None})
        assert step.children[0].lines() == ["? income < 1000  (income = 未知)"]
        assert step.children[1].lines() == ["✓ chronic_illness  (chronic_illness = 是)"]
        assert step.as_dict()["children"][1]["facts"] == {"chronic_illness": "是"}
    with translation.override("en"):
        assert explain(rule, AUNT).children[1].lines() == ["✓ chronic_illness  (chronic_illness = yes)"]


# --- errors point at the position ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "line", "column"),
    [
        ("age >= ", "ends too early", 1, 8),
        ("agee >= 80", "unknown fact 'agee'; did you mean 'age'?", 1, 1),
        ('age >= 60 and "低宝" in tags', "unknown tag '低宝'", 1, 15),
        ("age = 80", "use == to compare", 1, 5),
        ("age > 1 > 0", "does not chain", 1, 9),
        ("(age > 1", "closing bracket", 1, 9),
        ('"abc', "no closing quote", 1, 1),
        ("tags == 1", "set of tags cannot be compared", 1, 1),
        ('age >= "八十"', "cannot compare a number with a text", 1, 1),
        ("age + 1", "must be a condition", 1, 1),
        ("age >= 60 &&", "write 'and'", 1, 11),
        ("age >= 60 and\nliving_alone and\nincome < foo", "unknown fact 'foo'", 3, 10),
        ("age / 0 > 1", "division by zero", 1, 7),
        ('sex < "F"', "compares numbers only", 1, 1),
        ("80age > 1", "cannot run into a name", 1, 1),
        ("age in tags", "tag to look for must be written as text", 1, 1),
        ("age in 3", "'in' needs a set of tags", 1, 8),
        ("[]", "at least one value", 1, 2),
        ("sqrt(age) > 1", "unknown function 'sqrt'", 1, 1),
        ("if age > 1 then 2 > 1 else false", "branches of 'if' must be numbers or texts", 1, 17),
        ("", "empty", 1, 1),
    ],
)
def test_a_bad_rule_gets_an_error_pointing_at_the_position(source, message, line, column):
    with translation.override("en"), pytest.raises(RuleError) as caught:
        check(source, V)
    error = caught.value
    assert message in error.message
    assert (error.line, error.column) == (line, column)
    assert error.as_dict()["line"] == line


@pytest.mark.parametrize(
    ("source", "expected", "start", "end"),
    [
        ("agee >= 80", "未知的数据项“agee”；是不是要写“age”？", 0, 4),
        ('age >= 60 and "低宝" in tags', "未知的标签“低宝”", 14, 18),
        ("age >= ", "规则提前结束", 7, 8),
        ('age >= "八十"', "无法将数字与文本比较", 0, 11),
        ("age + 1", "资格规则应为条件（是/否），实际为数字", 0, 7),
        ("age >= 60 and\nliving_alone and\nincome < foo", "未知的数据项“foo”", 40, 43),
        ("age >= 60 and 3", "and 两边的每一项应为是/否值，实际为数字", 14, 15),
        ("(age > 1", "此处应有右括号“)”，却是规则末尾", 8, 9),
    ],
)
def test_under_chinese_a_bad_rule_gets_a_chinese_error_at_the_same_position(source, expected, start, end):
    with translation.override("zh-hans"), pytest.raises(RuleError) as caught:
        check(source, V)
    error = caught.value
    assert expected in error.message
    assert (error.start, error.end) == (start, end)
    with translation.override("en"), pytest.raises(RuleError) as english:
        check(source, V)
    assert english.value.message != error.message
    assert english.value.as_dict() | {"message": None} == error.as_dict() | {"message": None}
    assert str(error).splitlines()[0].endswith(f"（第 {error.line} 行第 {error.column} 列）")


def test_every_rule_error_message_is_translated_to_chinese():
    """No message of the rule language stays English under zh-hans (each is in the welfare catalogue)."""
    sources = [
        "age >= ",
        "agee >= 80",
        "zzzzzz >= 80",
        'age >= 60 and "低宝" in tags',
        "age = 80",
        "age ＝ 80",
        "age > 1 > 0",
        "age > 1 living_alone",
        "(age > 1",
        "min(age, 1",
        "age in [1, 2",
        '"abc',
        "tags == 1",
        "[1] == 1",
        'age >= "八十"',
        "age + 1",
        "age >= 60 &&",
        "age / 0 > 1",
        'sex < "F"',
        "80age > 1",
        "age in tags",
        "age in 3",
        "[]",
        "[age] == 1",
        '[1, "a"] == 1',
        'age in ["a"]',
        "sqrt(age) > 1",
        "min(age) > 1",
        "min(age, true) > 1",
        "if age > 1 then 2 > 1 else false",
        'if age > 1 then 2 else "a"',
        "if age > 1 then 2",
        "if age then 1 else 2",
        "not in tags",
        "age not 3",
        "-sex > 1",
        "sex + 1 > 1",
        "1 + sex > 1",
        "not age",
        "age > 1 or 2",
        "age €",
        "",
        "a" * 5000,
        "(" * 200 + "true" + ")" * 200,
    ]
    for source in sources:
        with translation.override("zh-hans"), pytest.raises(RuleError) as caught:
            check(source, V)
        message = caught.value.message
        english = [
            w for w in ("must", "cannot", "unknown", "expected", "unexpected", "the rule") if w in message
        ]
        assert not english, f"{source!r}: {message}"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), f"{source!r}: {message}"


def test_the_caret_sits_under_the_culprit_even_after_chinese_characters():
    with translation.override("en"), pytest.raises(RuleError) as caught:
        check('"独居" in 标签 and 年令 > 80', V)
    error = caught.value
    assert error.line_text == '"独居" in 标签 and 年令 > 80'
    # "独居" and 标签 are two display cells per character
    assert error.caret == " " * len('"独居" in 标签 and '.encode("gbk")) + "^^^^"
    assert str(error).splitlines() == [
        "unknown fact '年令'; did you mean '年龄'? (line 1, column 16)",
        '"独居" in 标签 and 年令 > 80',
        error.caret,
    ]


def test_a_deeply_nested_rule_is_refused_not_a_crash():
    with translation.override("en"), pytest.raises(RuleError, match="nests too deeply"):
        check("(" * 200 + "true" + ")" * 200, V)
    with translation.override("en"), pytest.raises(RuleError, match="nests too deeply"):
        check("not " * 200 + "true", V)


def test_a_rule_is_not_python_and_runs_no_code():
    for source in ['__import__("os").system("true")', "().__class__", "open('x')"]:
        with pytest.raises(RuleError):
            check(source, V)


def test_the_rule_package_imports_no_django():
    import subprocess
    import sys

    code = (
        "import sys, zhizhi.welfare.rules as r; "
        "r.check('age >= 80', r.Vocabulary.standard()); "
        "error = None\n"
        "try: r.check('agee >= 80', r.Vocabulary.standard())\n"
        "except r.RuleError as exc: error = exc\n"
        "assert error.message.startswith(\"unknown fact 'agee'\"), error.message  # English without Django\n"
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
