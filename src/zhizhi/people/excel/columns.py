"""Columns of the people workbooks (Chinese headers, as street offices keep them) and their value labels."""

from __future__ import annotations

import re

from zhizhi.people.models import Household, Residence, Sex

NAME, ID_NUMBER, PHONE, TAGS, HOME, RELATION, HOUSEHOLD, TO_HEAD = (
    "姓名", "身份证号", "手机号", "标签", "住址编码", "居住关系", "户号", "与户主关系",
)  # fmt: skip
SEX, BIRTH, ADDRESS = "性别", "出生日期", "住址"  # export only, ignored on import
KIND, HEAD_ID, HEAD_NAME, MEMBERS = "类型", "户主身份证号", "户主姓名", "人数"

RESIDENT_COLUMNS = (NAME, ID_NUMBER, PHONE, TAGS, HOME, RELATION, HOUSEHOLD, TO_HEAD)
RESIDENT_EXPORT_COLUMNS = (*RESIDENT_COLUMNS, SEX, BIRTH, ADDRESS)
HOUSEHOLD_COLUMNS = (HOUSEHOLD, KIND, HOME, HEAD_ID)
HOUSEHOLD_EXPORT_COLUMNS = (*HOUSEHOLD_COLUMNS, HEAD_NAME, ADDRESS, MEMBERS)

RELATION_LABELS: dict[str, str] = {
    "业主": Residence.Relation.OWNER,
    "租户": Residence.Relation.TENANT,
    "家庭成员": Residence.Relation.FAMILY,
    "集体": Residence.Relation.COLLECTIVE,
}
RELATION_NAMES: dict[str, str] = {v: k for k, v in RELATION_LABELS.items()}
KIND_LABELS: dict[str, str] = {"家庭户": Household.Kind.FAMILY, "集体户": Household.Kind.COLLECTIVE}
KIND_NAMES: dict[str, str] = {v: k for k, v in KIND_LABELS.items()}
SEX_NAMES: dict[str, str] = {Sex.MALE: "男", Sex.FEMALE: "女"}
TAG_SEPARATORS = re.compile(r"[,，、;；\s]+")


def split_tags(text: str) -> list[str]:
    return [t for t in TAG_SEPARATORS.split(text or "") if t]
