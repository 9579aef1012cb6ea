"""An Engine that talks to an inference server over the OpenAI-compatible HTTP API.

vLLM, llama.cpp's server, Ollama and TGI all speak this API, so a classroom can run one shared
server instead of a model inside every app process. Pages cannot tell this engine from the local
one: the same methods, the same data, the same EngineError codes for learner-readable failures.

What goes over the wire:
- chat answers: POST {base}/chat/completions with stream=true (server-sent events);
- raw continuations: POST {base}/completions with stream=true;
- next-token probabilities: POST {base}/completions with max_tokens=1 and `logprobs=N`, which
  returns the N most likely next tokens with their log-probabilities (a server may cap N);
- the model list: GET {base}/models (is the server up, and does it have our model?).

Tokens are counted and shown with the model's own tokenizer when we have it locally (the prepared
folder of the same catalogued model: the GGUF the server loads carries the same tokenizer);
otherwise with llama.cpp's `/extras/tokenize` endpoint, when the server has one.

We use `requests` (already installed with streamlit) rather than the `openai` package: we need
our own retry rules and error messages anyway, and the wire format is a few JSON lines.
"""
from __future__ import annotations

import dataclasses
import json
import math
import queue
import socket
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import requests
import torch
import urllib3

from tutor.config import Settings
from tutor.llm import sampling
from tutor.llm.base import (
    EngineError,
    NextTokenDistribution,
    QueueStatus,
    TextStream,
    TokenChoice,
    TokenPiece,
    check_messages,
    check_text,
    readable_pieces,
)

_CONNECT_TIMEOUT_S = 5.0  # on a LAN a server that does not accept within 5 s is not there
_FIRST_BACKOFF_S = 0.5  # retry waits 0.5 s, 1 s, 2 s, ... (doubling), so a restarting server has time
_STATUS_TIMEOUT_S = 2.0  # the sidebar's "is the server up?" question must not freeze the page
_RETRY_STATUSES = {502, 503, 504}  # a proxy or a loading server: worth asking again
_DONE = object()  # end-of-stream marker from the reader thread


@dataclass(frozen=True)
class ServerConfig:
    """Where the server is and how patient to be with it."""

    base_url: str  # e.g. "http://127.0.0.1:8080/v1"
    model: str  # the model name the server knows
    api_key: str = ""  # sent as "Authorization: Bearer ..." when set
    timeout_s: float = 60.0  # longest silence we accept while waiting for the server
    max_retries: int = 2  # extra attempts after a connection error, with doubling waits


class TextTokenizer:
    """What this engine needs from a tokenizer: text -> ids, ids -> text, the chat template."""

    def __init__(
        self,
        encode: Callable[[str], list[int]],
        decode: Callable[[list[int]], str],
        chat_template: Callable[[list[dict[str, str]]], str] | None = None,
        vocab_size: int = 0,
    ) -> None:
        self.encode = encode
        self.decode = decode
        self.chat_template = chat_template
        self.vocab_size = vocab_size


def hf_tokenizer(folder: str) -> TextTokenizer:
    """The tokenizer of a local Hugging Face model folder (offline), as a TextTokenizer."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return TextTokenizer(
        encode=lambda text: list(tokenizer.encode(text, add_special_tokens=False)),
        decode=lambda ids: tokenizer.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False),
        chat_template=lambda messages: tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        ),
        vocab_size=len(tokenizer),
    )


class ServerStream(TextStream):
    """The text pieces of one answer, as the server sends them (see _read_events).

    The server keeps its own line of requests and does not show it: `queue_status()` is always
    None. `close()` hangs up, which is how the server learns to stop writing.
    """

    def __init__(self, pieces: Generator[str, None, None]) -> None:
        self._pieces = pieces

    def __iter__(self) -> ServerStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def queue_status(self) -> QueueStatus | None:
        return None

    def close(self) -> None:
        self._pieces.close()


class OpenAICompatibleEngine:
    """An Engine whose model runs on an OpenAI-compatible inference server."""

    runtime = ""  # the server computes; it does not say how

    def __init__(
        self,
        config: ServerConfig,
        *,
        tokenizer: TextTokenizer | None = None,
        context_window: int = 4096,
        max_new_tokens_cap: int = 1024,
    ) -> None:
        self.config = config
        self.name = config.model
        self.base_url = config.base_url.rstrip("/")
        self.context_window = context_window
        self.max_new_tokens_cap = max_new_tokens_cap
        # without a local tokenizer, ask the server (llama.cpp's extras endpoints)
        self.tokenizer = tokenizer or self._server_tokenizer()
        self.vocab_size = self.tokenizer.vocab_size

    # ---- is the server there? ------------------------------------------------------------------

    def served_models(self, timeout_s: float | None = None) -> list[str]:
        """The model names the server offers (GET /models); raises server_unreachable etc."""
        response = self._request("GET", "/models", timeout_s=timeout_s)
        try:
            return [str(item["id"]) for item in response.json().get("data", [])]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise EngineError(
                "server_bad_reply",
                f"The server at {self.base_url} did not answer like an OpenAI-compatible API.",
                hint="Check `openai_base_url` (it usually ends in /v1).",
            ) from err

    def check_model(self, timeout_s: float | None = None) -> None:
        """Raise model_not_on_server unless the server lists our model."""
        models = self.served_models(timeout_s)
        if self.name not in models:
            raise _model_missing(self.name, self.base_url, models)

    def queue_outlook(self) -> QueueStatus | None:
        """None: the server keeps its own line, which it does not show."""
        return None

    # ---- text in, text out ---------------------------------------------------------------------

    def apply_chat_template(self, messages: list[dict[str, str]]) -> str:
        """The exact text the model sees for these messages (from the local tokenizer)."""
        check_messages(messages)
        if self.tokenizer.chat_template is None:
            raise EngineError(
                "template_unavailable",
                f"The chat template of '{self.name}' is not available here: the server applies it itself.",
                hint="Prepare the same model locally (python -m tutor prepare) to see it.",
            )
        try:
            return self.tokenizer.chat_template(messages)
        except Exception as err:  # a template error is the model's fault, not the learner's
            raise EngineError("generation_failed", f"The chat template failed: {err}") from err

    def count_tokens(self, text: str) -> int:
        """How many tokens `text` takes."""
        return len(self.tokenizer.encode(check_text(text)))

    def tokenize(self, text: str) -> list[TokenPiece]:
        """Split text into readable pieces; byte tokens of one character are grouped together."""
        return readable_pieces(self.tokenizer.encode(check_text(text)), self.tokenizer.decode)

    # ---- generation ----------------------------------------------------------------------------

    def stream_chat(
        self,
        messages: list[dict[str, str]],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        stop: threading.Event | None = None,
        timeout_s: float = 120.0,
        seed: int | None = None,
    ) -> ServerStream:
        """Yield the assistant's reply piece by piece, as the server sends it."""
        check_messages(messages)
        body = {"messages": [{"role": m["role"], "content": m["content"]} for m in messages]}
        body |= self._sampling_body(max_new_tokens, temperature, top_p, seed)
        return self._stream("/chat/completions", body, stop, timeout_s, _chat_piece)

    def stream_completion(
        self,
        text: str,
        *,
        max_new_tokens: int = 64,
        temperature: float = 0.0,
        top_p: float = 1.0,
        stop: threading.Event | None = None,
        timeout_s: float = 120.0,
        seed: int | None = None,
    ) -> ServerStream:
        """Continue raw text with no chat template."""
        body = {"prompt": check_text(text, allow_empty=False)}
        body |= self._sampling_body(max_new_tokens, temperature, top_p, seed)
        return self._stream("/completions", body, stop, timeout_s, _completion_piece)

    def next_token_distribution(
        self,
        text: str,
        *,
        temperature: float = 1.0,
        top_k: int = 10,
        top_p: float = 1.0,
        show: int | None = None,
    ) -> NextTokenDistribution:
        """The server's probabilities for the token after `text`, reshaped like the local engine's.

        The server tells us only its N most likely tokens (log-probabilities of the plain softmax),
        not all ~150 000 scores. So:
        - raw_prob of a listed token is exact; rest_raw_prob = 1 - their sum is everything else;
        - temperature / top-k / top-p are applied to the listed tokens plus one extra "everything
          else" entry holding rest_raw_prob. With top-k inside the list, or at temperature 1, this
          is exact; otherwise the unlisted tail is treated as one lump (an approximation: its
          many small tokens would flatten or sharpen a little differently one by one).
        """
        prompt = check_text(text, allow_empty=False)
        count = max(1, show or (top_k if top_k > 0 else 10))
        wanted = max(count, top_k)  # to know the top-k pool we must see all k of its tokens
        reply = self._post_json(
            "/completions",
            {"model": self.name, "prompt": prompt, "max_tokens": 1, "temperature": 0.0, "logprobs": wanted},
        )
        listed = _top_logprobs(reply)
        if not listed:
            raise EngineError(
                "server_bad_reply",
                f"The server at {self.base_url} sent no token probabilities.",
                hint="This server may not support `logprobs` on /completions.",
            )
        # most likely first; the server may add the sampled token to its list, so trim to `wanted`
        listed = sorted(listed, key=lambda pair: pair[1], reverse=True)[:wanted]
        raw = [math.exp(logprob) for _, logprob in listed]
        rest_raw = max(0.0, 1.0 - sum(raw))
        probs, keep = _reshape(raw, rest_raw, temperature=temperature, top_k=top_k, top_p=top_p)
        choices = [
            TokenChoice(token=token, id=self._token_id(token), prob=probs[i], raw_prob=raw[i], kept=keep[i])
            for i, (token, _) in enumerate(listed[:count])
        ]
        usage = reply.get("usage") or {}
        return NextTokenDistribution(
            choices=choices,
            rest_prob=max(0.0, 1.0 - sum(c.prob for c in choices)),
            rest_raw_prob=max(0.0, 1.0 - sum(c.raw_prob for c in choices)),
            vocab_size=self.vocab_size,
            context_tokens=int(usage.get("prompt_tokens") or self.count_tokens(prompt)),
            # fewer alternatives than asked for (and fewer than the vocabulary): the server caps them
            alternatives_capped=len(listed) if len(listed) < min(wanted, self.vocab_size or wanted) else None,
        )

    # ---- internals: HTTP -----------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    def _request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        *,
        stream: bool = False,
        timeout_s: float | None = None,
        halted: Callable[[], bool] | None = None,
    ) -> requests.Response:
        """One HTTP call, retried with doubling waits while the server cannot be reached.

        Only failures *before* the server answered are retried: a request that reached the model
        may already have cost it seconds of work, and a half-sent answer cannot be resumed.
        `halted()` (the learner's Stop) is honoured before every attempt, during every wait between
        attempts and as soon as the server answers: then the connection is closed and
        EngineError("cancelled") raised, so no answer is fetched that nobody will read.
        """
        url = self.base_url + path
        read_timeout = timeout_s or self.config.timeout_s
        timeout = (min(_CONNECT_TIMEOUT_S, read_timeout), read_timeout)
        attempts = 1 + max(0, self.config.max_retries)
        last: EngineError | None = None
        for attempt in range(attempts):
            if attempt and _pause(_FIRST_BACKOFF_S * 2 ** (attempt - 1), halted):
                raise _cancelled()
            if halted is not None and halted():
                raise _cancelled()
            try:
                response = requests.request(
                    method, url, json=body, headers=self._headers(), stream=stream, timeout=timeout
                )
            except requests.exceptions.ReadTimeout as err:  # connected, then silence: do not pile on
                raise _slow(self.base_url, read_timeout) from err
            except requests.exceptions.ConnectionError:  # refused, reset, or no answer to connect
                last = _unreachable(self.base_url, attempt + 1)
                continue
            except requests.exceptions.RequestException as err:  # e.g. a reply cut off midway
                raise EngineError("server_error", f"The server at {self.base_url} failed: {err}") from err
            if halted is not None and halted():  # stopped while connecting: hang up before any answer
                _hang_up(response)
                raise _cancelled()
            if response.status_code in _RETRY_STATUSES and attempt + 1 < attempts:
                response.close()
                continue
            if response.status_code >= 400:
                raise self._http_error(response)
            return response
        raise last or _unreachable(self.base_url, attempts)

    def _post_json(self, path: str, body: dict) -> dict:
        """POST and return the decoded JSON reply."""
        response = self._request("POST", path, body)
        try:
            data = response.json()
        except ValueError as err:
            raise EngineError("server_bad_reply", f"The server at {self.base_url} sent something that is not JSON.") from err
        if not isinstance(data, dict):
            raise EngineError("server_bad_reply", f"The server at {self.base_url} sent an unexpected reply.")
        return data

    def _http_error(self, response: requests.Response) -> EngineError:
        """A learner-readable error for an HTTP error status."""
        detail = _error_detail(response)
        status = response.status_code
        response.close()
        if status in (401, 403):
            return EngineError(
                "server_auth",
                f"The server at {self.base_url} refused our API key ({status}).",
                hint="Set `openai_api_key` (or LLM_TUTOR_OPENAI_API_KEY) to a key the server accepts.",
            )
        if status == 404:
            return _model_missing(self.name, self.base_url, None, detail)
        if status in _RETRY_STATUSES:
            return EngineError(
                "server_busy", f"The server at {self.base_url} is busy or still loading ({status}).", hint="Try again soon."
            )
        if status in (400, 413, 422):
            return EngineError("server_rejected", f"The server refused the request: {detail}", hint="Try a shorter text.")
        return EngineError("server_error", f"The server at {self.base_url} failed ({status}): {detail}")

    def _sampling_body(self, max_new_tokens: int, temperature: float, top_p: float, seed: int | None) -> dict:
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
            raise EngineError("bad_input", f"max_new_tokens must be a positive integer, got {max_new_tokens!r}.")
        for label, value, high in (("temperature", temperature, 10.0), ("top_p", top_p, 1.0)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= high:
                raise EngineError("bad_input", f"{label} must be a number between 0 and {high:g}, got {value!r}.")
        body: dict[str, Any] = {
            "model": self.name,
            "stream": True,
            "max_tokens": min(max_new_tokens, self.max_new_tokens_cap),
            "temperature": max(0.0, float(temperature)),
            "top_p": float(top_p),
        }
        if seed is not None:
            body["seed"] = int(seed)
        return body

    def _stream(
        self,
        path: str,
        body: dict,
        stop: threading.Event | None,
        timeout_s: float,
        piece_of: Callable[[dict], str],
    ) -> ServerStream:
        """The text pieces of one streaming request (sent when the caller starts reading)."""
        return ServerStream(_read_events(
            lambda halted: self._request("POST", path, body, stream=True, halted=halted),
            piece_of, stop, timeout_s, self.base_url,
        ))

    def _server_tokenizer(self) -> TextTokenizer:
        """Tokenize through llama.cpp's /extras endpoints (they sit beside /v1, not under it)."""
        root = self.base_url.removesuffix("/v1")

        def call(path: str, body: dict) -> dict:
            try:
                response = requests.post(
                    root + path, json=body, headers=self._headers(), timeout=(_CONNECT_TIMEOUT_S, self.config.timeout_s)
                )
            except requests.exceptions.RequestException as err:
                raise _unreachable(self.base_url, 1) from err
            if path == "/extras/detokenize" and response.status_code == 500:
                # llama-cpp-python fails to decode bytes that are only part of a character ('한' is
                # 3 bytes): report them as unreadable, so readable_pieces keeps grouping
                return {"text": "\ufffd"}
            if response.status_code >= 400:
                raise EngineError(
                    "tokenizer_unavailable",
                    f"'{self.name}' has no local tokenizer and the server cannot tokenize ({response.status_code}).",
                    hint="Prepare the same model locally (python -m tutor prepare).",
                )
            return response.json()

        return TextTokenizer(
            encode=lambda text: [int(i) for i in call("/extras/tokenize", {"input": text, "model": self.name})["tokens"]],
            decode=lambda ids: str(call("/extras/detokenize", {"tokens": ids, "model": self.name})["text"]),
        )

    def _token_id(self, token: str) -> int:
        """The id of a token given as text, or -1 when the text is not exactly one token.

        The completions API names alternatives by text only; byte tokens of a partly written
        character come back as '' and cannot be told apart.
        """
        if not token:
            return -1
        try:
            ids = self.tokenizer.encode(token)
        except EngineError:
            return -1
        return ids[0] if len(ids) == 1 else -1


# ---- from settings -----------------------------------------------------------------------------


def server_config(settings: Settings) -> ServerConfig:
    """The server part of the settings."""
    return ServerConfig(
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        api_key=settings.openai_api_key,
        timeout_s=settings.openai_timeout_s,
        max_retries=settings.openai_max_retries,
    )


def server_status(settings: Settings) -> tuple[str, str]:
    """("ready" | "missing", detail): is the server up and does it serve our model? One quick try."""
    config = dataclasses.replace(server_config(settings), max_retries=0)
    probe = OpenAICompatibleEngine(config, tokenizer=TextTokenizer(encode=list, decode=str))
    try:
        probe.check_model(timeout_s=_STATUS_TIMEOUT_S)
    except EngineError as err:
        return "missing", str(err)
    return "ready", f"'{config.model}' on {probe.base_url}"


def connect(settings: Settings, progress: Callable[[float, str], None] | None = None) -> OpenAICompatibleEngine:
    """A ready engine for the configured server: reachable, serving the model, with a tokenizer.

    The local tokenizer is used when `openai_model` is a catalogued model that is prepared here
    (the server's GGUF carries the very same tokenizer); otherwise the server tokenizes.
    """
    report = progress or (lambda fraction, stage: None)
    config = server_config(settings)
    report(0.1, "load")
    tokenizer = _local_tokenizer(config.model, settings.cache_dir)
    engine = OpenAICompatibleEngine(
        config,
        tokenizer=tokenizer,
        context_window=max(256, settings.openai_context_window),
        max_new_tokens_cap=max(1, settings.max_new_tokens),
    )
    report(0.6, "warmup")
    engine.check_model()
    if tokenizer is not None and not _tokenizers_agree(engine, tokenizer):
        engine.tokenizer = engine._server_tokenizer()  # same name, other model: trust the server
    report(1.0, "done")
    return engine


_PROBE = "Tokens: 토큰은 글자 조각입니다. The cat sat on the mat!"  # Latin, Hangul, punctuation


def _tokenizers_agree(engine: OpenAICompatibleEngine, local: TextTokenizer) -> bool:
    """Does the local tokenizer split a probe text like the server does? (True if it cannot tell.)"""
    try:
        return engine._server_tokenizer().encode(_PROBE) == local.encode(_PROBE)
    except (EngineError, KeyError, ValueError, TypeError):
        return True  # not a llama.cpp server: no tokenize endpoint, so we trust the model name


def _local_tokenizer(model: str, cache_dir: str) -> TextTokenizer | None:
    """The prepared folder's tokenizer of a catalogued model of that name, if it is prepared."""
    from tutor.llm.catalog import CATALOG, resolve_source
    from tutor.llm.prepare import model_dir_for, needs_prepare

    if model not in CATALOG:
        return None
    source = resolve_source(model)
    if needs_prepare(source, cache_dir):
        return None
    return hf_tokenizer(str(model_dir_for(source, cache_dir)))


# ---- streaming ---------------------------------------------------------------------------------


def _read_events(
    open_stream: Callable[[Callable[[], bool]], requests.Response],
    piece_of: Callable[[dict], str],
    stop: threading.Event | None,
    timeout_s: float,
    base_url: str,
) -> Generator[str, None, None]:
    """Yield text pieces from a server-sent-events reply until `data: [DONE]`.

    A reader thread sends the request, reads the reply and hands pieces over through a queue, so
    this generator notices the stop button or the deadline even while the server is silent
    (connecting, or reading a long prompt). On stop we hang up: that is how the server learns to
    stop generating. If the connection breaks before [DONE], the pieces already yielded stay with
    the caller and we raise stream_interrupted, so the page keeps the partial answer, marked as cut.

    Stop counts at every stage: while retrying or waiting between attempts (no further attempt),
    while connecting (the reader hangs up as soon as the connection opens), while reading (we hang
    up; the reader also checks between chunks). Closing this generator (`close()`, which every
    consumer that stops reading early calls) is a stop too.
    """
    pieces: queue.Queue = queue.Queue()
    opened: list[requests.Response] = []  # the reader's response, so we can hang up on it
    gone = threading.Event()  # this generator has ended: nobody reads the reply any more

    def halted() -> bool:
        return gone.is_set() or (stop is not None and stop.is_set())

    reader = threading.Thread(
        target=_read_into, args=(lambda: open_stream(halted), piece_of, pieces, opened, halted),
        name="llm-stream", daemon=True,
    )
    reader.start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            if stop is not None and stop.is_set():
                return
            if time.monotonic() > deadline:
                raise EngineError(
                    "timeout",
                    "The answer took too long and was stopped; what arrived so far is kept.",
                    hint="Try a shorter question.",
                )
            try:
                item = pieces.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is _DONE:
                return
            if isinstance(item, EngineError):
                raise item
            if isinstance(item, BaseException):
                if _is_read_timeout(item):
                    raise _slow(base_url, timeout_s, partial=True) from item
                raise _interrupted(base_url) from item
            yield item
    finally:
        # `gone` first, then look for a connection: the reader adds its connection first, then
        # looks at `gone`, so whichever of us comes second hangs up (a connection still opening
        # is never missed)
        gone.set()
        if opened:
            _hang_up(opened[0])


def _read_into(
    open_stream: Callable[[], requests.Response],
    piece_of: Callable[[dict], str],
    pieces: queue.Queue,
    opened: list[requests.Response],
    halted: Callable[[], bool],
) -> None:
    """Reader thread: send the request, parse `data:` lines into text pieces, end with _DONE or
    the exception met (EngineError for failures before the answer started). Hangs up itself when
    `halted()` (stopped, or the consumer gone) once the connection opens and between chunks."""
    try:
        response = open_stream()
    except EngineError as err:
        pieces.put(err)
        return
    opened.append(response)
    if halted():  # stopped while the connection was opening (see _read_events' finally)
        _hang_up(response)
        return
    buffer = b""
    finished = False  # a chunk said why the answer ended ("stop", "length")
    try:
        for chunk in response.iter_content(chunk_size=None):
            if halted():
                _hang_up(response)
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                event = _event_data(line.decode("utf-8", errors="replace"))
                if event == "[DONE]":
                    # [DONE] with no finish reason: the server cut the answer short (llama.cpp's
                    # server does that to a stream when another request arrives, unless started
                    # with --interrupt_requests false)
                    pieces.put(_DONE if finished else ConnectionError("the answer ended without a finish reason"))
                    return
                if isinstance(event, dict):
                    finished = finished or _finish_reason(event) is not None
                    if piece := piece_of(event):
                        pieces.put(piece)
        # the connection ended cleanly but without [DONE]: the server went away mid-answer
        pieces.put(ConnectionError("the stream ended before [DONE]"))
    except Exception as err:  # noqa: BLE001 - handed to the consumer, who decides what it means
        pieces.put(err)


def _pause(seconds: float, halted: Callable[[], bool] | None) -> bool:
    """Wait `seconds` (a backoff before the next attempt); True as soon as `halted()`, if given."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if halted is not None and halted():
            return True
        time.sleep(min(0.02, left))
    return halted is not None and halted()


def _hang_up(response: requests.Response) -> None:
    """Close the connection now, even if the reader thread is blocked on it.

    Closing a socket does not wake a thread blocked reading it; shutting it down does.
    """
    try:
        sock = response.raw.connection.sock  # urllib3's live connection, while the body is read
        sock.shutdown(socket.SHUT_RDWR)
    except (AttributeError, OSError):
        pass  # already closed or fully read
    response.close()


def _is_read_timeout(err: BaseException) -> bool:
    """requests reports a read timeout inside a streamed body as a ConnectionError wrapping it."""
    if isinstance(err, requests.exceptions.ReadTimeout | TimeoutError | urllib3.exceptions.ReadTimeoutError):
        return True
    return any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in getattr(err, "args", ()))


def _event_data(line: str) -> Any:
    """The JSON of one `data: ...` line ('[DONE]' as is); None for comments, pings and blanks."""
    line = line.strip()
    if not line.startswith("data:"):
        return None
    payload = line[len("data:"):].strip()
    if payload == "[DONE]":
        return payload
    try:
        return json.loads(payload)
    except ValueError:
        return None


def _finish_reason(event: dict) -> str | None:
    """Why the answer ended ("stop", "length"), on the last chunk of an OpenAI-style stream."""
    choices = event.get("choices") or [{}]
    return choices[0].get("finish_reason")


def _chat_piece(event: dict) -> str:
    choices = event.get("choices") or [{}]
    return str((choices[0].get("delta") or {}).get("content") or "")


def _completion_piece(event: dict) -> str:
    choices = event.get("choices") or [{}]
    return str(choices[0].get("text") or "")


# ---- next-token probabilities ------------------------------------------------------------------


def _top_logprobs(reply: dict) -> list[tuple[str, float]]:
    """(token text, log-probability) pairs of the first generated position of a completion."""
    try:
        first = reply["choices"][0]["logprobs"]["top_logprobs"][0]
    except (KeyError, IndexError, TypeError):
        return []
    if isinstance(first, dict):
        return [(str(token), float(logprob)) for token, logprob in first.items()]
    return []


def _reshape(
    raw: list[float], rest_raw: float, *, temperature: float, top_k: int, top_p: float
) -> tuple[list[float], list[bool]]:
    """Temperature / top-k / top-p (tutor.llm.sampling, as for the local model) over the listed
    tokens plus one lump for everything unlisted.

    Log-probabilities work as scores: softmax(log p / T) is the same as softmax(logits / T),
    because logits and log-probabilities differ by one constant shared by every token.
    """
    scores = [math.log(p) if p > 0 else float("-inf") for p in raw]
    lump = math.log(rest_raw) if rest_raw > 1e-12 else float("-inf")
    # The lump is the only thing special here: it is not one token but every unlisted one, each
    # less likely than the listed ones. So top-k never takes it in place of a listed token: it is
    # in the pool only when the pool reaches past the listed tokens (top-k off or larger than the list).
    lump_in_pool = top_k <= 0 or top_k > len(scores)
    allowed = torch.tensor([True] * len(scores) + [lump_in_pool])
    probs, keep = sampling.sampling_distribution(
        [*scores, lump], temperature=temperature, top_k=top_k, top_p=top_p, allowed=allowed
    )
    return [float(p) for p in probs[:-1]], [bool(k) for k in keep[:-1]]


# ---- errors ------------------------------------------------------------------------------------


def _unreachable(base_url: str, attempts: int) -> EngineError:
    return EngineError(
        "server_unreachable",
        f"The model server at {base_url} cannot be reached (tried {attempts} time{'s' * (attempts > 1)}).",
        hint="Check that the server is running and that `openai_base_url` is right.",
    )


def _cancelled() -> EngineError:
    return EngineError("cancelled", "Stopped before the model server answered.")


def _slow(base_url: str, timeout_s: float, *, partial: bool = False) -> EngineError:
    kept = " What arrived so far is kept." if partial else ""
    return EngineError(
        "server_timeout",
        f"The model server at {base_url} did not answer within {timeout_s:g} s.{kept}",
        hint="The server may be overloaded; try again, or raise `openai_timeout_s`.",
    )


def _interrupted(base_url: str) -> EngineError:
    return EngineError(
        "stream_interrupted",
        f"The model server at {base_url} stopped in the middle of the answer: "
        "the answer is cut short (what arrived so far is kept).",
        hint="Ask again when the server is back.",
    )


def _model_missing(model: str, base_url: str, served: list[str] | None, detail: str = "") -> EngineError:
    offered = f" It offers: {', '.join(served)}." if served else ""
    why = f" ({detail})" if detail and not served else ""
    return EngineError(
        "model_not_on_server",
        f"The model server at {base_url} does not have the model '{model}'.{offered}{why}",
        hint="Set `openai_model` to a model the server serves.",
    )


def _error_detail(response: requests.Response) -> str:
    """The server's own error message, if it sent one (OpenAI style or FastAPI style)."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip()
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):
            return error[:300]
        if data.get("detail"):
            return str(data["detail"])[:300]
    return str(data)[:200]
