"""Whether a destructive request's reason says why, in a few real words."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]{2,}")
_IDEOGRAPH = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def reason_problem(reason: str) -> str | None:
    """Why a destructive request's reason is not good enough, or ``None`` when it is.

    "A few real words": at least three distinct words of two letters or more (or four
    CJK characters, which are written without spaces). "." or "asdf" is refused.
    """
    text = reason.strip()
    words = {word.casefold() for word in _WORD.findall(text)}
    if len(words) >= 3 or len(_IDEOGRAPH.findall(text)) >= 4:
        return None
    return (
        'Say why in a few words (for example: "employee left, account closed in HR"); '
        "approvers and the audit log rely on it."
    )
