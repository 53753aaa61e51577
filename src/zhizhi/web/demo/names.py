"""Synthetic names, phones and ID numbers for the demo street (pure). Nothing here is a real person's data.

Phones come from reserved-looking synthetic ranges (1380000xxxx, 1390000xxxx, …) and ID numbers from
`people.idnumber.make_id_number` (valid GB 11643 checksums) with Hangzhou and other Zhejiang region codes.
"""

from __future__ import annotations

import datetime as dt
import random

from zhizhi.people.idnumber import make_id_number

# Common surnames in Hangzhou, roughly by frequency (repeated entries weigh more).
SURNAMES = (
    "王王王陈陈陈张张李李刘周周吴吴徐徐杨黄朱朱沈沈胡胡金金章孙方钱俞俞叶蒋郑何许潘施姚宋陆汪赵马郭丁孔严邵戴蔡傅"
    "楼应裘谢韩冯董程曹袁邱骆"
)
GIVEN = {
    ("old", "F"): (
        "秀英",
        "桂英",
        "玉兰",
        "凤英",
        "美华",
        "素珍",
        "月娥",
        "桂花",
        "秀珍",
        "雅琴",
        "宝娣",
        "彩凤",
        "菊英",
        "梅芳",
        "兰芳",
        "金娣",
        "杏娟",
        "惠珍",
        "丽华",
        "淑芬",
        "翠英",
        "爱珍",
        "佩华",
        "雪琴",
        "根娣",
    ),
    ("old", "M"): (
        "国强",
        "建国",
        "志明",
        "福生",
        "根发",
        "金龙",
        "德明",
        "荣华",
        "海林",
        "永康",
        "炳生",
        "阿毛",
        "树德",
        "长林",
        "宝根",
        "正华",
        "有才",
        "庆丰",
        "锦昌",
        "连生",
        "祖荫",
        "家骏",
        "世荣",
        "伯年",
        "文斌",
    ),
    ("middle", "F"): (
        "丽",
        "敏",
        "静",
        "芳",
        "燕",
        "红",
        "洁",
        "霞",
        "琴",
        "萍",
        "慧",
        "颖",
        "丽娟",
        "晓燕",
        "海燕",
        "雪梅",
        "建英",
        "春燕",
        "晓红",
        "美玲",
        "玉梅",
        "丽萍",
        "小英",
        "卫红",
    ),
    ("middle", "M"): (
        "伟",
        "军",
        "勇",
        "杰",
        "磊",
        "涛",
        "斌",
        "强",
        "峰",
        "刚",
        "建华",
        "建军",
        "卫东",
        "晓东",
        "海涛",
        "志刚",
        "国平",
        "建平",
        "文杰",
        "立新",
        "红兵",
        "明",
        "俊",
        "剑锋",
    ),
    ("young", "F"): (
        "子涵",
        "梓萱",
        "一诺",
        "欣怡",
        "雨桐",
        "佳怡",
        "诗涵",
        "可馨",
        "思琪",
        "语嫣",
        "雨欣",
        "晨曦",
        "梦瑶",
        "若汐",
        "安琪",
        "依琳",
        "沐晴",
        "心怡",
        "佳琪",
        "婉清",
    ),
    ("young", "M"): (
        "浩然",
        "宇轩",
        "思远",
        "俊杰",
        "子墨",
        "一鸣",
        "博文",
        "天佑",
        "皓轩",
        "梓豪",
        "家豪",
        "俊宇",
        "明哲",
        "宇航",
        "子轩",
        "睿泽",
        "嘉懿",
        "煜城",
        "逸凡",
        "承泽",
    ),
}
# Where people were registered at birth: mostly the old 下城区 and today's 拱墅区, some elsewhere in Zhejiang.
REGIONS = (
    ("330103", 40),  # 下城区 (merged into 拱墅区 in 2021)
    ("330105", 25),  # 拱墅区
    ("330102", 10),  # 上城区
    ("330106", 5),  # 西湖区
    ("330104", 3),  # 江干区 (former)
    ("330302", 3),  # 温州 鹿城区
    ("330402", 3),  # 嘉兴 南湖区
    ("330602", 3),  # 绍兴 越城区
    ("331002", 3),  # 台州 椒江区
    ("330782", 3),  # 义乌市
    ("330702", 2),  # 金华 婺城区
)
PHONE_PREFIXES = ("1380000", "1390000", "1370000", "1580000", "1880000", "1350000", "1590000", "1860000")


def cohort(birth: dt.date) -> str:
    if birth.year < 1960:
        return "old"
    return "middle" if birth.year < 1990 else "young"


class NameMaker:
    """Names, phones and ID numbers from one random stream; ID numbers never repeat."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_ids: set[str] = set()
        phones = [p + f"{n:04d}" for p in PHONE_PREFIXES for n in range(10000)]
        rng.shuffle(phones)
        self._phones = iter(phones)
        self._regions = [code for code, weight in REGIONS for _ in range(weight)]

    def surname(self) -> str:
        return self.rng.choice(SURNAMES)

    def given(self, birth: dt.date, sex: str) -> str:
        return self.rng.choice(GIVEN[(cohort(birth), sex)])

    def name(self, birth: dt.date, sex: str, surname: str | None = None) -> str:
        return (surname or self.surname()) + self.given(birth, sex)

    def phone(self) -> str:
        return next(self._phones)

    def id_number(self, birth: dt.date, sex: str, region: str | None = None) -> str:
        region = region or self.rng.choice(self._regions)
        sequence = self.rng.randrange(1000)
        for step in range(0, 2000, 2):
            number = make_id_number(region, birth, sequence + step, sex)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise RuntimeError(f"no free ID sequence for {region} {birth}")  # pragma: no cover - 500 per day
