"""The sandbox's control endpoints, for tests and demos in other processes.

    GET  /_sandbox/calls   every recorded API request, oldest first
    POST /_sandbox/delay   {"action": "DeleteAccount", "seconds": 2.5}
    POST /_sandbox/fail    {"action": ..., "status": 503, "code": ..., "message": ..., "times": 1}
    POST /_sandbox/reset   a fresh seeded world; calls, faults and nonces forgotten

They carry no signature: the sandbox is meant to listen on 127.0.0.1 only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commands.sandbox.server import Sandbox


def handle_control(sandbox: Sandbox, method: str, path: str, body: bytes) -> tuple[int, Any]:
    """Answer one control request: (HTTP status, JSON-able body); 400 when malformed."""
    try:
        data = json.loads(body) if body else {}
        if method == "GET" and path == "/_sandbox/calls":
            return 200, [call.to_json() for call in sandbox.calls]
        if method == "POST" and path == "/_sandbox/delay":
            sandbox.delay(str(data["action"]), float(data["seconds"]))
            return 200, {"ok": True}
        if method == "POST" and path == "/_sandbox/fail":
            sandbox.fail(
                str(data["action"]),
                status=int(data["status"]),
                code=str(data["code"]),
                message=str(data.get("message", "")),
                times=int(data.get("times", 1)),
            )
            return 200, {"ok": True}
        if method == "POST" and path == "/_sandbox/reset":
            sandbox.reset()
            return 200, {"ok": True}
    except (ValueError, KeyError, TypeError) as exc:
        return 400, {"ok": False, "error": f"bad control request: {type(exc).__name__}"}
    return 404, {"ok": False, "error": "unknown control endpoint"}
