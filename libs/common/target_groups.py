"""Who an activity was for: the plan's 五大重点人群 plus the general public. One definition for the
report schema, the gateway's GetPlan and the spreadsheet columns."""
from __future__ import annotations

from typing import Literal, get_args

TargetGroup = Literal["youth", "farmers", "workers", "elderly", "officials", "public"]
TARGET_GROUP_NAMES: dict[str, str] = {
    "youth": "青少年", "farmers": "农民", "workers": "产业工人", "elderly": "老年人",
    "officials": "领导干部和公务员", "public": "社会公众",
}
assert tuple(TARGET_GROUP_NAMES) == get_args(TargetGroup)
