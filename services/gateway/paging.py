"""Page tokens for lists the gateway pages itself (organisations, alerts, progress): an opaque
offset. Short lists, read-mostly: an offset is enough; ListActivities pages by key instead."""
from __future__ import annotations

import base64

from libs.common.errors import BadRequest


def page(items: list, page_size: int, page_token: str, default: int = 100, maximum: int = 1000) -> tuple[list, str]:
    """One page of ``items`` and the token of the next (empty on the last page)."""
    size = page_size or default
    if not 1 <= size <= maximum:
        raise BadRequest.of("page_size", "out_of_range", f"应为 1 至 {maximum}，或填 0（每页{default}条）")
    start = 0
    if page_token:
        try:
            start = int(base64.urlsafe_b64decode(page_token.encode()).decode().removeprefix("o:"))
        except ValueError:
            raise BadRequest.of("page_token", "invalid",
                                "不是这个列表给出的翻页标记；请不带 page_token 从第一页重新开始") from None
    end = start + size
    more = end < len(items)
    return items[start:end], base64.urlsafe_b64encode(f"o:{end}".encode()).decode() if more else ""
