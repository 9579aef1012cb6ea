"""A tiny scripted OpenAI-compatible HTTP server on loopback, for the remote engine's unit tests.

It speaks just enough of the API (GET /v1/models, POST /v1/chat/completions and /v1/completions,
streaming with server-sent events over chunked HTTP/1.1, llama.cpp's /extras/tokenize) and can be
told to misbehave: answer slowly, refuse a model, cap logprobs, or drop the connection mid-answer.
"""
from __future__ import annotations

import json
import math
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Script:
    """What the fake server does; tests change it between calls."""

    models: list[str] = field(default_factory=lambda: ["fake-model"])
    pieces: list[str] = field(default_factory=lambda: ["Tokens", " are", " pieces", " of", " text", "."])
    piece_delay_s: float = 0.0
    head_delay_s: float = 0.0  # silence before the reply starts (a slow server)
    stall_after: int | None = None  # stop sending (but keep the connection) after this many pieces
    die_after: int | None = None  # drop the connection after this many pieces (a killed server)
    finish_reason: bool = True  # False: [DONE] with no finish reason (llama.cpp interrupting a stream)
    fail_first: list[int] = field(default_factory=list)  # statuses for the first requests, then normal
    logprobs: dict[str, float] = field(default_factory=dict)  # token text -> log-probability
    logprobs_cap: int | None = None  # return at most this many alternatives
    api_key: str = ""  # when set, requests must carry it as a bearer token
    requests: list[dict] = field(default_factory=list)  # every request: path, body, headers
    disconnected: threading.Event = field(default_factory=threading.Event)  # the client hung up


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: Script  # set on the subclass made per server

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _send_json(self, status: int, data: object) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, body: dict | None) -> None:
        self.script.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})

    def _refused(self) -> bool:
        """Answer with a scripted failure status or a missing key; True when it did."""
        script = self.script
        if script.fail_first:
            self._send_json(script.fail_first.pop(0), {"error": {"message": "busy"}})
            return True
        if script.api_key and self.headers.get("Authorization") != f"Bearer {script.api_key}":
            self._send_json(401, {"error": {"message": "bad key"}})
            return True
        return False

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._record(None)
        if self._refused():
            return
        if self.path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.script.models]})
        else:
            self._send_json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self._record(body)
        if self._refused():
            return
        script = self.script
        time.sleep(script.head_delay_s)
        if self.path == "/extras/tokenize":  # llama.cpp's extra: one id per character here
            self._send_json(200, {"tokens": [ord(c) for c in body["input"]]})
            return
        if self.path == "/extras/detokenize":
            self._send_json(200, {"text": "".join(chr(i) for i in body["tokens"])})
            return
        if self.path not in ("/v1/chat/completions", "/v1/completions"):
            self._send_json(404, {"detail": "Not Found"})
            return
        if body.get("model") not in script.models:
            self._send_json(404, {"error": {"message": f"The model `{body.get('model')}` does not exist."}})
            return
        if body.get("logprobs"):
            self._send_logprobs(int(body["logprobs"]))
        elif body.get("stream"):
            self._stream(chat=self.path.endswith("chat/completions"))
        else:
            self._send_json(400, {"error": {"message": "only streaming is scripted"}})

    def _send_logprobs(self, wanted: int) -> None:
        ranked = sorted(self.script.logprobs.items(), key=lambda kv: kv[1], reverse=True)
        top = dict(ranked[: min(wanted, self.script.logprobs_cap or wanted)])
        first = ranked[0][0]
        self._send_json(
            200,
            {
                "choices": [{"text": first, "logprobs": {"tokens": [first], "top_logprobs": [top]}}],
                "usage": {"prompt_tokens": 7, "completion_tokens": 1},
            },
        )

    def _chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, *, chat: bool) -> None:
        script = self.script
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i, piece in enumerate(script.pieces):
                if script.die_after is not None and i >= script.die_after:
                    # a killed server: the connection drops with no closing chunk and no [DONE]
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if script.stall_after is not None and i >= script.stall_after:
                    time.sleep(60)
                choice = {"delta": {"content": piece}} if chat else {"text": piece}
                self._chunk(f"data: {json.dumps({'choices': [choice]})}\n\n")
                time.sleep(script.piece_delay_s)
            if script.finish_reason:
                last = {"delta": {}, "finish_reason": "stop"} if chat else {"text": "", "finish_reason": "stop"}
                self._chunk(f"data: {json.dumps({'choices': [last]})}\n\n")
            self._chunk("data: [DONE]\n\n")
            self._chunk("")  # the closing zero-length chunk
        except (BrokenPipeError, ConnectionResetError):
            script.disconnected.set()
            self.close_connection = True


class FakeOpenAIServer:
    """Start with `with FakeOpenAIServer() as server:`; `server.base_url` ends in /v1."""

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        handler = type("Handler", (_Handler,), {"script": self.script})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def logprobs_of(probs: dict[str, float]) -> dict[str, float]:
    """Token -> log-probability, from token -> probability (for readable test data)."""
    return {token: math.log(p) for token, p in probs.items()}
