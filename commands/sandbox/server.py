"""The sandbox cloud: a stateful, signature-checking stand-in for the APIs Offboard calls.

RPC style as the official SDKs send it: ``POST /`` with the action and version in the
``x-acs-action`` / ``x-acs-version`` headers, parameters in the query string (form
body parameters are accepted too), signed with ACS3-HMAC-SHA256. STS AssumeRole as
``alibabacloud-credentials`` sends it (``GET /?Action=AssumeRole&...&Signature=...``,
HMAC-SHA1) is accepted too; ``start(tls=...)`` serves HTTPS, which that package requires.

Control endpoints for other processes (no signature; bind to 127.0.0.1):
``GET /_sandbox/calls``, ``POST /_sandbox/delay`` ``{"action", "seconds"}``, ``POST
/_sandbox/fail`` ``{"action", "status", "code", "message", "times"}``, ``POST /_sandbox/reset``.
"""

from __future__ import annotations

import contextlib
import json
import ssl
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from commands.sandbox import errors, routes, sts
from commands.sandbox.auth import SignatureVerifier
from commands.sandbox.control import handle_control
from commands.sandbox.errors import SandboxError, error_body, new_request_id
from commands.sandbox.faults import Faults
from commands.sandbox.seed import demo_world
from commands.sandbox.world import World
from commands.signing import utcnow

DEMO_ACCESS_KEY_ID = "LTAI5tOffboardDemoKey0001"
DEMO_ACCESS_KEY_SECRET = "offboard-demo-secret-not-real"  # noqa: S105 - a public demo value


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (read timeout, fault tests) is not a sandbox failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass(frozen=True)
class RecordedCall:
    """One API request the sandbox received (control endpoints are not recorded)."""

    action: str
    params: dict[str, str]
    signature_ok: bool
    status: int
    code: str | None
    request_id: str
    at: datetime
    access_key_id: str | None = None  # who signed, once the signature was checked good

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data


class Sandbox:
    """The sandbox cloud, in-process; ``start()`` serves it in a daemon thread. ``apis``:
    more actions to answer (a test's fake operation), none it answers already."""

    def __init__(
        self,
        world: World | None = None,
        *,
        credentials: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utcnow,
        apis: Sequence[routes.Api] = (),
    ) -> None:
        self.world = world if world is not None else demo_world()
        self._apis = routes.with_apis(apis)
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._faults = Faults()
        self._verifier = SignatureVerifier(
            credentials
            if credentials is not None
            else {DEMO_ACCESS_KEY_ID: DEMO_ACCESS_KEY_SECRET},
            clock,
            sessions=self._session_keys,
        )
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # ---- lifecycle -------------------------------------------------------------------

    def start(
        self, host: str = "127.0.0.1", port: int = 0, *, tls: ssl.SSLContext | None = None
    ) -> str:
        """Serve in a daemon thread; the base URL (``http://127.0.0.1:PORT``, or
        ``https://`` with ``tls``, a server context holding the certificate)."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        server = _Server((host, port), _handler_class(self))
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        bound_host, bound_port = server.server_address[:2]
        self.base_url = f"{'https' if tls else 'http'}://{bound_host!s}:{bound_port}"
        self._thread = threading.Thread(
            # A short poll interval so stop() returns quickly (tests start many sandboxes).
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="offboard-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Sandbox:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # ---- inspection and fault injection ---------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        """Every API request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._calls)

    def count(self, action: str) -> int:
        """How many requests for ``action`` arrived (well signed or not)."""
        with self._lock:
            return sum(1 for call in self._calls if call.action == action)

    def delay(self, action: str, seconds: float) -> None:
        """Hold answers to ``action`` back by ``seconds``; the action still takes effect."""
        self._faults.delay(action, seconds)

    def fail(self, action: str, *, status: int, code: str, message: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``action`` with this error, changing nothing."""
        self._faults.fail(action, status=status, code=code, message=message, times=times)

    def reset(self, world: World | None = None) -> None:
        """Back to a fresh seeded world; calls, faults and seen nonces forgotten."""
        with self._lock:
            self.world = world if world is not None else demo_world()
            self._calls.clear()
        self._faults.clear()
        self._verifier.reset()

    # ---- one API request --------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query_pairs: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one API request: (HTTP status, JSON body)."""
        lowered = {name.lower(): value for name, value in headers.items()}
        params = dict(query_pairs)
        if "x-www-form-urlencoded" in lowered.get("content-type", ""):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = lowered.get("x-acs-action") or params.get("Action", "")
        api = self._apis.get(action)
        request_id = new_request_id()
        caller: str | None = None
        try:
            if "authorization" not in lowered and "Signature" in params:
                caller = self._verifier.verify_v1(method, params)
            else:
                caller = self._verifier.verify(method, path, query_pairs, lowered, body)
            version = lowered.get("x-acs-version") or params.get("Version")  # or RPC's
            status, answer = self._dispatch(api, action, version, params, caller)
        except SandboxError as error:
            status = error.status
            answer = error_body(
                error,
                request_id=request_id,
                host_id=api.host_id if api else "sandbox.offboard.local",
                product=api.product if api else "",
                bss=api is not None and api.product == "BssOpenApi",
            )
        answer["RequestId"] = request_id
        failed = status >= 300 or answer.get("Success") is False
        code = answer.get("Code") if failed else None
        call = RecordedCall(
            action, params, caller is not None, status, code, request_id, self._clock(), caller
        )
        with self._lock:
            self._calls.append(call)
        pause = self._faults.delay_of(action)
        if pause:
            # The action has taken effect; only the answer is late (a read timeout on
            # the client's side is then an outcome it cannot know).
            time.sleep(pause)
        return status, answer

    def _dispatch(
        self,
        api: routes.Api | None,
        action: str,
        version: str | None,
        params: Mapping[str, str],
        caller: str,
    ) -> tuple[int, dict[str, Any]]:
        if api is None:
            raise SandboxError.of(errors.ACTION_NOT_FOUND)
        if version != api.version:
            raise SandboxError.of(errors.VERSION_INVALID)
        injected = self._faults.take_failure(action)
        if injected is not None:
            raise injected
        with self._lock:
            body = api.handlers[action](self.world, params, self._clock(), caller)
        return 200, dict(body)

    def _session_keys(self, key_id: str) -> tuple[str, str, datetime] | None:
        with self._lock:  # what the verifier needs of an AccessKey that STS issued
            return sts.session_credentials(self.world, key_id)


def _handler_class(sandbox: Sandbox) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes on a kept-alive connection; with
        # Nagle on, the body waits for the client's delayed ACK (~40 ms a call).
        disable_nagle_algorithm = True
        server_version = "OffboardSandbox/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recorded calls are the log."""

        def _body(self) -> bytes:
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json;charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            body = self._body()
            if parts.path.startswith("/_sandbox/"):
                self._send(*handle_control(sandbox, self.command, parts.path, body))
                return
            if parts.path != "/":
                self._send(404, {"Code": "NotFound", "Message": "Only / is served."})
                return
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            headers = {name: value for name, value in self.headers.items()}
            self._send(*sandbox.handle(self.command, parts.path, pairs, headers, body))

        do_GET = _serve
        do_POST = _serve

    return _Handler


def serve(host: str = "127.0.0.1", port: int = 9000) -> None:
    """Run the sandbox in the foreground until interrupted (``offboard-bot sandbox``)."""
    sandbox = Sandbox()
    url = sandbox.start(host, port)
    print(f"Offboard sandbox cloud on {url} (AccessKey ID {DEMO_ACCESS_KEY_ID})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is meant to stop
        threading.Event().wait()
    sandbox.stop()
