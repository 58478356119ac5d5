"""The one redaction rule: what counts as a secret in logs and in the audit log.

Two parts, used together by :func:`scrub`:

* a mapping key that names a secret (token, secret, signature, authorization, password,
  credential, cookie, private key) has its whole value replaced, whatever it is;
* a secret-shaped substring is masked wherever it appears, in any string: Slack tokens
  (``xoxb-``, ``xoxp-``, ``xoxe-``, the rotated ``xoxe.xoxp-``, ``xapp-``), ``Bearer``
  values, ACS3 ``Signature=`` values and AccessKey secrets or security tokens written as
  ``name=value`` / ``name: value`` (``AccessKeySecret=``, ``access_key_secret='…'``).

:func:`mask` is the second part alone, for text that is already formatted (a rendered
log line, a traceback): what it leaves is the label, so a reader still sees *what* was
there. It lives in ``storage`` because the audit log needs it and storage imports nothing
of ``bot``; ``bot.logs`` uses the same functions.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REDACTED", "is_secret_key", "mask", "scrub"]

REDACTED = "[redacted]"

_SECRET_KEY_PARTS = (
    "secret",
    "token",
    "signature",
    "authorization",
    "password",
    "passwd",
    "credential",
    "cookie",
    "private_key",
)

# A value stops at whitespace, a quote, a backslash (a JSON-escaped quote), or a
# separator of the forms secrets are written in (query strings, headers, reprs).
_VALUE = r"[^\s\"'\\,&;)}\[\]]+"
_SECRET_TEXT = re.compile(
    # Slack: bot/user/app-configuration tokens (xox?-), rotated ones (xoxe.xoxp-),
    # app-level tokens (xapp-). Matched whole: nothing of them is worth keeping.
    r"(?P<whole>\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+)"
    # A label followed by its secret value: keep the label, mask the value.
    r"|(?P<label>\bBearer\s+"
    r"|\bSignature="
    r"|(?:access[_-]?key[_-]?secret|security[_-]?token)\\?[\"']?\s*[:=]\s*\\?[\"']?)"
    rf"(?P<value>{_VALUE})",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """True when a mapping key names something that must never be logged or audited."""
    lowered = key.lower().replace("-", "_")
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def _masked(match: re.Match[str]) -> str:
    if match["whole"]:
        return REDACTED
    return match["label"] + REDACTED


def mask(text: str) -> str:
    """``text`` with every secret-shaped substring replaced (labels kept)."""
    return _SECRET_TEXT.sub(_masked, text)


def scrub(value: Any) -> Any:
    """``value`` with secret keys' values replaced and secret-shaped strings masked.

    Recurses into dicts, lists and tuples (a tuple stays a tuple); other values are
    returned as they are.
    """
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_key(str(k)) else scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, tuple):
        return tuple(scrub(v) for v in value)
    return value
