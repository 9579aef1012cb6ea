"""The OpenAI-compatible engine against a scripted fake server on loopback (fast, no model)."""
from __future__ import annotations

import math
import socket
import threading
import time

import pytest
import torch

from tests.fake_openai_server import FakeOpenAIServer, logprobs_of
from tutor.config import Settings, load_settings
from tutor.llm import engine_status, load_engine
from tutor.llm.base import EngineError, NextTokenDistribution
from tutor.llm.openai_compatible import OpenAICompatibleEngine, ServerConfig, TextTokenizer

# one token per character: easy to reason about, and ids are just code points
CHARS = TextTokenizer(encode=lambda text: [ord(c) for c in text], decode=lambda ids: "".join(map(chr, ids)),
                      chat_template=lambda msgs: "".join(f"<{m['role']}>{m['content']}" for m in msgs) + "<assistant>",
                      vocab_size=1000)
MESSAGES = [{"role": "user", "content": "What is a token?"}]


def engine_for(server: FakeOpenAIServer, **config: object) -> OpenAICompatibleEngine:
    options = {"timeout_s": 5.0, "max_retries": 0} | config
    return OpenAICompatibleEngine(ServerConfig(base_url=server.base_url, model="fake-model", **options), tokenizer=CHARS)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server():
    with FakeOpenAIServer() as fake:
        yield fake


def test_chat_answer_streams_piece_by_piece_as_an_openai_chat_request(server):
    pieces = list(engine_for(server).stream_chat(MESSAGES, max_new_tokens=20, temperature=0.0))
    assert pieces == server.script.pieces
    request = server.script.requests[-1]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["stream"] is True and request["body"]["model"] == "fake-model"
    assert request["body"]["messages"] == MESSAGES and request["body"]["max_tokens"] == 20


def test_completion_streams_raw_text_through_the_completions_endpoint(server):
    pieces = list(engine_for(server).stream_completion("The cat sat on the", max_new_tokens=8))
    assert "".join(pieces) == "".join(server.script.pieces)
    assert server.script.requests[-1]["path"] == "/v1/completions"
    assert server.script.requests[-1]["body"]["prompt"] == "The cat sat on the"


def test_stop_event_ends_the_stream_and_hangs_up_on_the_server(server):
    server.script.pieces = [f" w{i}" for i in range(200)]
    server.script.piece_delay_s = 0.02
    stop = threading.Event()
    got = []
    for piece in engine_for(server).stream_chat(MESSAGES, stop=stop):
        got.append(piece)
        if len(got) == 3:
            stop.set()
    assert 3 <= len(got) <= 5
    # the server notices the closed connection on its next writes, so it stops generating too
    assert server.script.disconnected.wait(5)


def test_stop_is_honoured_while_the_server_is_still_silent(server):
    server.script.head_delay_s = 3.0
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    assert list(engine_for(server).stream_chat(MESSAGES, stop=stop)) == []
    assert time.monotonic() - started < 2.0


def test_stop_while_the_server_is_silent_hangs_up_once_the_connection_opens(server):
    # the reply starts after 0.5 s: Stop comes while the request is still waiting for it
    server.script.head_delay_s = 0.5
    server.script.pieces = [f" w{i}" for i in range(50)]
    server.script.piece_delay_s = 0.01
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    assert list(engine_for(server).stream_chat(MESSAGES, stop=stop)) == []
    # hung up as soon as the reply began: the server's next writes find no one there
    assert server.script.disconnected.wait(5), "the answer was read to its end by nobody"


def test_stop_before_the_first_attempt_sends_no_request(server):
    stop = threading.Event()
    stop.set()
    assert list(engine_for(server, max_retries=2).stream_chat(MESSAGES, stop=stop)) == []
    time.sleep(0.3)  # the reader thread has had time to send, if it were going to
    assert server.script.requests == []


def test_stop_during_the_wait_between_attempts_ends_the_retries(server):
    server.script.fail_first = [503] * 4  # busy: asked again after 0.5 s, 1 s, 2 s
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()  # during the first 0.5 s wait
    started = time.monotonic()
    assert list(engine_for(server, max_retries=3).stream_chat(MESSAGES, stop=stop)) == []
    assert time.monotonic() - started < 0.5
    time.sleep(1.0)  # a second attempt would have come at 0.5 s
    assert len(server.script.requests) == 1


def test_closing_a_stream_read_in_part_hangs_up_though_it_is_still_referenced(server):
    server.script.pieces = [f" w{i}" for i in range(200)]
    server.script.piece_delay_s = 0.02
    stream = engine_for(server).stream_chat(MESSAGES)
    assert next(stream) == " w0"
    stream.close()  # what every consumer that stops reading early does (tutor.llm.base.close_stream)
    assert server.script.disconnected.wait(5)


def test_unreachable_server_is_retried_with_backoff_then_named():
    config = ServerConfig(base_url=f"http://127.0.0.1:{closed_port()}/v1", model="m", max_retries=2)
    engine = OpenAICompatibleEngine(config, tokenizer=CHARS)
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        list(engine.stream_chat(MESSAGES))
    waited = time.monotonic() - started
    assert caught.value.code == "server_unreachable"
    assert "tried 3 times" in caught.value.message and "openai_base_url" in caught.value.hint
    assert waited >= 0.5 + 1.0  # two backoff waits, doubling


def test_busy_server_is_asked_again_and_then_answers(server):
    server.script.fail_first = [503]
    pieces = list(engine_for(server, max_retries=2).stream_chat(MESSAGES))
    assert pieces == server.script.pieces
    assert [r["path"] for r in server.script.requests] == ["/v1/chat/completions"] * 2


def test_slow_server_gives_a_timeout_error_without_waiting_for_it(server):
    server.script.head_delay_s = 3.0
    started = time.monotonic()
    with pytest.raises(EngineError) as caught:
        list(engine_for(server, timeout_s=0.5).stream_chat(MESSAGES))
    assert caught.value.code == "server_timeout"
    assert time.monotonic() - started < 2.5


def test_server_that_stalls_mid_answer_times_out_keeping_the_pieces_so_far(server):
    server.script.stall_after = 2
    got = []
    with pytest.raises(EngineError) as caught:
        for piece in engine_for(server, timeout_s=0.5).stream_chat(MESSAGES):
            got.append(piece)
    assert caught.value.code == "server_timeout"
    assert got == server.script.pieces[:2] and "kept" in caught.value.message


def test_model_missing_on_the_server_names_the_model(server):
    engine = OpenAICompatibleEngine(ServerConfig(base_url=server.base_url, model="gpt-nope"), tokenizer=CHARS)
    with pytest.raises(EngineError) as caught:
        list(engine.stream_chat(MESSAGES))
    assert caught.value.code == "model_not_on_server" and "gpt-nope" in caught.value.message
    with pytest.raises(EngineError) as listed:
        engine.check_model()
    assert listed.value.code == "model_not_on_server" and "fake-model" in listed.value.message


def test_wrong_api_key_is_a_clear_auth_error(server):
    server.script.api_key = "s3cret"
    with pytest.raises(EngineError) as caught:
        list(engine_for(server, api_key="wrong").stream_chat(MESSAGES))
    assert caught.value.code == "server_auth"
    assert list(engine_for(server, api_key="s3cret").stream_chat(MESSAGES)) == server.script.pieces


def test_server_killed_mid_answer_keeps_the_partial_answer_and_says_it_was_cut(server):
    from tutor.chat.answer import AnswerJob, plan_answer

    server.script.die_after = 3
    engine = engine_for(server)
    plan = plan_answer("What is a token?", [], "en", None, max_new_tokens=50)
    job = AnswerJob(plan=plan, produce=lambda stop: engine.stream_chat(MESSAGES, stop=stop)).start()
    assert job.wait(10)
    assert job.raw == server.script.pieces[:3]  # what arrived before the cut (the checks judge it apart)
    assert job.error is not None and job.error.code == "stream_interrupted"
    assert "cut short" in job.error.message


PROBS = {" mat": 0.5, " floor": 0.2, " bed": 0.1, " sofa": 0.05, " roof": 0.05, " chair": 0.04}


def test_next_token_raw_probabilities_come_from_the_servers_logprobs(server):
    server.script.logprobs = logprobs_of(PROBS)
    dist = engine_for(server).next_token_distribution("The cat sat on the", temperature=1.0, top_k=0, show=6)
    assert isinstance(dist, NextTokenDistribution)
    assert [c.token for c in dist.choices] == list(PROBS)
    assert [c.raw_prob for c in dist.choices] == pytest.approx(list(PROBS.values()))
    assert dist.rest_raw_prob == pytest.approx(1 - sum(PROBS.values()))
    # temperature 1 with no cut changes nothing
    assert [c.prob for c in dist.choices] == pytest.approx(list(PROBS.values()))
    assert sum(c.prob for c in dist.choices) + dist.rest_prob == pytest.approx(1.0)
    assert server.script.requests[-1]["body"]["max_tokens"] == 1
    assert dist.choices[0].id == -1  # " mat" is four tokens for this tokenizer: no single id
    assert dist.context_tokens == 7  # the server's own prompt token count


def test_top_k_and_temperature_reshape_the_listed_tokens_like_sampling_does(server):
    server.script.logprobs = logprobs_of(PROBS)
    dist = engine_for(server).next_token_distribution("x", temperature=0.5, top_k=2, show=4)
    kept = [c for c in dist.choices if c.kept]
    assert [c.token for c in kept] == [" mat", " floor"]
    # softmax(log p / T) over the two kept tokens: p^(1/T) normalised
    weights = [0.5 ** 2, 0.2 ** 2]
    assert [c.prob for c in kept] == pytest.approx([w / sum(weights) for w in weights])
    assert all(c.prob == 0 for c in dist.choices if not c.kept)
    assert dist.rest_prob == pytest.approx(0.0, abs=1e-6)


def test_greedy_keeps_only_the_most_likely_token(server):
    server.script.logprobs = logprobs_of(PROBS)
    dist = engine_for(server).next_token_distribution("x", temperature=0.0, top_k=0, show=3)
    assert [c.kept for c in dist.choices] == [True, False, False]
    assert dist.choices[0].prob == pytest.approx(1.0)


def test_a_server_that_caps_alternatives_is_reported(server):
    server.script.logprobs = logprobs_of({f" t{i}": 0.9 ** i / 20 for i in range(30)})
    server.script.logprobs_cap = 5
    dist = engine_for(server).next_token_distribution("x", top_k=10)
    assert dist.alternatives_capped == 5 and len(dist.choices) == 5
    server.script.logprobs_cap = None
    assert engine_for(server).next_token_distribution("x", top_k=10).alternatives_capped is None


def test_without_a_local_tokenizer_the_server_tokenizes(server):
    engine = OpenAICompatibleEngine(ServerConfig(base_url=server.base_url, model="fake-model"))
    assert engine.count_tokens("한국어 ok") == 6
    assert [p.text for p in engine.tokenize("ab")] == ["a", "b"]
    with pytest.raises(EngineError) as caught:
        engine.apply_chat_template(MESSAGES)
    assert caught.value.code == "template_unavailable"


def test_bad_input_is_refused_before_any_request(server):
    engine = engine_for(server)
    for call in (lambda: engine.stream_chat([]), lambda: engine.stream_completion(""),
                 lambda: engine.stream_chat(MESSAGES, max_new_tokens=0), lambda: engine.count_tokens(None),
                 lambda: engine.stream_chat(MESSAGES, temperature="hot"), lambda: engine.stream_completion("x", top_p=2)):
        with pytest.raises(EngineError) as caught:
            call()
        assert caught.value.code == "bad_input"
    assert server.script.requests == []


def test_settings_choose_the_openai_backend_and_status_reports_reachability(server, tmp_path):
    settings = Settings(backend="openai", openai_base_url=server.base_url, openai_model="fake-model",
                        cache_dir=str(tmp_path))
    assert engine_status(settings=settings)[0] == "ready"
    engine = load_engine(settings=settings)
    assert isinstance(engine, OpenAICompatibleEngine) and engine.name == "fake-model"
    down = Settings(backend="openai", openai_base_url=f"http://127.0.0.1:{closed_port()}/v1")
    state, detail = engine_status(settings=down)
    assert state == "missing" and "cannot be reached" in detail
    with pytest.raises(EngineError) as caught:
        load_engine(settings=Settings(backend="cloud"))
    assert caught.value.code == "bad_config"


def test_api_key_comes_from_secrets_toml_and_the_environment_wins(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('openai_api_key = "from-secrets"\nbackend = "openai"\n', encoding="utf-8")
    settings = load_settings({}, config_file=str(tmp_path / "none.toml"), secrets_file=str(secrets))
    assert settings.openai_api_key == "from-secrets" and settings.backend == "openai"
    assert "from-secrets" not in repr(settings)  # never printed into logs
    env = {"LLM_TUTOR_OPENAI_API_KEY": "from-env"}
    assert load_settings(env, config_file=str(tmp_path / "none.toml"), secrets_file=str(secrets)).openai_api_key == "from-env"


def test_reshape_with_top_k_off_keeps_the_unlisted_rest_as_one_lump(server):
    server.script.logprobs = logprobs_of(PROBS)
    dist = engine_for(server).next_token_distribution("x", temperature=2.0, top_k=0, show=6)
    rest = 1 - sum(PROBS.values())
    weights = [math.sqrt(p) for p in [*PROBS.values(), rest]]
    assert [c.prob for c in dist.choices] == pytest.approx([w / sum(weights) for w in weights[:-1]])
    assert dist.rest_prob == pytest.approx(weights[-1] / sum(weights))


def test_makefile_builds_the_llama_cpp_python_version_the_code_was_checked_with():
    from tutor.llm.llama_server import LLAMA_CPP_PYTHON_VERSION, ROOT

    assert f"LLAMA_CPP_VERSION := {LLAMA_CPP_PYTHON_VERSION}\n" in (ROOT / "Makefile").read_text()


@pytest.mark.real_model  # needs the prepared default model's tokenizer on disk
def test_a_local_tokenizer_that_splits_text_unlike_the_server_is_not_used(server):
    from tutor.llm.catalog import DEFAULT_MODEL

    server.script.models = [DEFAULT_MODEL]  # same name as the catalogued model, but it tokenizes per character
    settings = Settings(backend="openai", openai_base_url=server.base_url, openai_model=DEFAULT_MODEL,
                        cache_dir=load_settings().cache_dir)
    engine = load_engine(settings=settings)
    assert engine.count_tokens("The cat sat") == len("The cat sat")
    assert any(r["path"] == "/extras/tokenize" for r in server.script.requests)


def test_byte_tokens_of_one_korean_syllable_are_grouped_into_one_readable_piece():
    from tutor.llm.base import readable_pieces

    # a byte-level tokenizer: one id per UTF-8 byte, so '한' is three ids that alone decode to '\ufffd'
    def decode(ids: list[int]) -> str:
        return bytes(ids).decode("utf-8", errors="replace")

    pieces = readable_pieces(list("a한".encode()), decode)
    assert [p.text for p in pieces] == ["a", "한"]
    assert pieces[1].ids == list("한".encode())


def test_an_answer_ended_without_a_finish_reason_is_reported_as_cut(server):
    server.script.finish_reason = False
    got = []
    with pytest.raises(EngineError) as caught:
        for piece in engine_for(server).stream_chat(MESSAGES):
            got.append(piece)
    assert caught.value.code == "stream_interrupted" and got == server.script.pieces


@pytest.mark.parametrize("temperature, top_k, top_p", [(0.7, 5, 1.0), (1.3, 12, 0.8), (0.4, 1, 1.0), (2.0, 8, 0.3), (0.0, 6, 1.0)])
def test_reshaping_the_listed_tokens_equals_sampling_the_whole_vocabulary_when_top_k_is_inside_the_list(
    server, temperature, top_k, top_p
):
    """With the pool inside the listed tokens the lump of unlisted ones plays no part: the server's
    reshaped top 12 must be exactly tutor.llm.sampling's reshaping of the whole vocabulary."""
    from tutor.llm import sampling

    logits = torch.randn(200, generator=torch.Generator().manual_seed(top_k)) * 2.5
    logprobs = torch.log_softmax(logits, dim=0)
    server.script.logprobs = {f" t{i}": float(logprobs[i]) for i in range(200)}  # the whole vocabulary
    dist = engine_for(server).next_token_distribution("x", temperature=temperature, top_k=top_k, top_p=top_p, show=12)
    probs, keep = sampling.sampling_distribution(logits, temperature=temperature, top_k=top_k, top_p=top_p)
    assert len(dist.choices) == 12
    for choice in dist.choices:
        i = int(choice.token.removeprefix(" t"))
        assert choice.raw_prob == pytest.approx(float(logprobs[i].exp()), abs=1e-6)
        assert choice.prob == pytest.approx(float(probs[i]), abs=1e-5) and choice.kept == bool(keep[i])


def test_greedy_with_top_k_keeps_the_favourite_even_when_the_unlisted_rest_outweighs_it(server):
    # the lump of unlisted tokens (0.7 here) is no token: it can never be the greedy choice
    server.script.logprobs = logprobs_of({" mat": 0.1, " floor": 0.08, " bed": 0.06, " sofa": 0.06})
    dist = engine_for(server).next_token_distribution("x", temperature=0.0, top_k=2, show=4)
    assert [c.prob for c in dist.choices] == [1.0, 0.0, 0.0, 0.0]
    assert [c.kept for c in dist.choices] == [True, False, False, False]
