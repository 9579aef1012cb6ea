"""The next-token lab, as plain data and small functions you can read.

A language model only ever answers one question: "given this text, how likely is each possible
next token?" Everything in the lab is built from that one answer:

- *Predict* shows the answer as a list of candidates with probabilities.
- *Controls* reshape those probabilities (temperature, top-k, top-p) before a token is drawn.
- *Continue* runs the generation loop by hand: pick a token, append it, ask again.
- *Tokens* and *Build a tokenizer* show what a "token" is; *Training pairs* shows where the
  model's training examples come from.

No Streamlit here: pages/next_token_lab.py draws what these functions return. The reshaping itself
(softmax, temperature, top-k, top-p, seeded sampling) lives in tutor.llm.sampling, shared with the
real model, so the lab shows exactly what the model does.
"""
from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from tutor.llm.base import NextTokenDistribution, TokenPiece
from tutor.text import drop_invisible

# Each lab tab links to the lesson that explains it: tab -> (lesson id, section anchor or None).
# Its label (content/ui/lab.toml, [*.lesson]) names that lesson's number and title or section title.
LESSONS = {
    "predict": ("next-token-prediction", None),
    "controls": ("generating-text", "temperature"),
    "continue": ("generating-text", "why-answers-differ"),
    "tokens": ("next-token-prediction", None),
    "pairs": ("training-data", None),
    "tokenizer": ("next-token-prediction", None),
    "chat": ("completer-to-assistant", None),
}
# How many of the model's most likely tokens the lab asks for and samples among. Like llama.cpp's
# default top-k of 40: the thousands of tokens below these together rarely hold more than a few percent.
POOL_SIZE = 40
# How many bars the charts draw; the rest of the pool is grouped as "everything else".
SHOWN_BARS = 10
# The vocabulary sizes offered when training your own tokenizer.
MIN_VOCAB, MAX_VOCAB = 100, 8000
# Sizes shown side by side to watch the same sentence split differently as the vocabulary grows.
VOCAB_LADDER = (100, 300, 1000, 3000, 8000)
# The lab reads at most this many tokens of text: a new text costs a full pass over every token,
# which takes tens of seconds for long texts on a laptop CPU (extending by one token is cheap).
LAB_MAX_CONTEXT = 512
# Training pairs listed for one sentence (a long paragraph makes hundreds).
MAX_PAIRS = 60


# ---------------------------------------------------------------------------------------------
# Text in: clean what the learner typed, and fit it into the model's context window
# ---------------------------------------------------------------------------------------------

def clean_text(text: object) -> str:
    """The learner's text with invisible characters removed (newlines and tabs stay), by the same
    rule as the chat's (tutor.text.drop_invisible)."""
    if not isinstance(text, str):
        return ""
    return drop_invisible(text)


@dataclass(frozen=True)
class FittedText:
    """Text cut to fit the model, and whether anything was cut."""

    text: str
    cut: bool
    tokens_before: int  # how many tokens the full text had
    tokens_kept: int


def fit_to_context(text: str, count_tokens: Callable[[str], int], max_tokens: int) -> FittedText:
    """Keep the end of `text` so that it is at most `max_tokens` tokens long.

    The end is what matters for the next token, so we drop text from the start.
    """
    total = count_tokens(text)
    if total <= max_tokens:
        return FittedText(text, False, total, total)
    # A token is rarely longer than 16 characters, so look only at the end of a huge text.
    text = text[-max_tokens * 16 :]
    if count_tokens(text) <= max_tokens:
        return FittedText(text, True, total, count_tokens(text))
    # Binary search for the longest ending that still fits (tokenizing is fast; the model is not).
    low, high = 0, len(text)  # text[low:] does not fit; text[high:] (empty) always fits
    while high - low > 1:
        middle = (low + high) // 2
        if count_tokens(text[middle:]) <= max_tokens:
            high = middle
        else:
            low = middle
    kept = text[high:]
    return FittedText(kept, True, total, count_tokens(kept))


def is_empty(text: str) -> bool:
    """True when there is nothing to predict from (only spaces counts as nothing)."""
    return not text.strip()


def start_of_message_messages() -> list[dict[str, str]]:
    """With no text at all, the lab shows the start of a chat reply to an empty message instead."""
    return [{"role": "user", "content": ""}]


# ---------------------------------------------------------------------------------------------
# Predict and Controls: the model's candidates, reshaped by temperature / top-k / top-p
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One possible next token, before and after reshaping."""

    token: str
    id: int
    raw_prob: float  # what the model said (softmax of its scores)
    prob: float  # after temperature, top-k and top-p; 0 when cut off
    kept: bool  # still in the pool we sample from


@dataclass(frozen=True)
class Reshaped:
    """The candidate pool after the learner's settings, plus what lies outside it."""

    candidates: tuple[Candidate, ...]  # most likely (raw) first
    outside_raw_prob: float  # raw probability of every token beyond the pool
    vocab_size: int


def reshape(dist: NextTokenDistribution, *, temperature: float, top_k: int, top_p: float) -> Reshaped:
    """Apply temperature, top-k and top-p to the model's most likely tokens.

    The lab works on the pool of listed candidates. Because log(probability) is the model's score
    minus one constant, softmax(log p / T) over the pool is exactly the model's own reshaping,
    restricted to the pool.
    """
    from tutor.llm.sampling import sampling_distribution

    choices = sorted(dist.choices, key=lambda c: c.raw_prob, reverse=True)
    if not choices:
        return Reshaped((), 1.0, dist.vocab_size)
    # 1. back from probabilities to scores: log p (a zero probability would be -inf, so floor it)
    scores = [math.log(max(c.raw_prob, 1e-45)) for c in choices]
    # 2. temperature, top-k and top-p, exactly as the model's sampler does them
    probs, keep = sampling_distribution(
        scores, temperature=_safe_temperature(temperature), top_k=int(top_k), top_p=_safe_top_p(top_p)
    )
    candidates = tuple(
        Candidate(token=c.token, id=c.id, raw_prob=c.raw_prob, prob=float(p), kept=bool(k))
        for c, p, k in zip(choices, probs.tolist(), keep.tolist(), strict=True)
    )
    outside = max(0.0, 1.0 - sum(c.raw_prob for c in choices))
    return Reshaped(candidates, outside, dist.vocab_size)


def _safe_temperature(value: float) -> float:
    """A temperature the sampler can use: NaN or below 0 counts as 0 (greedy)."""
    return 0.0 if not math.isfinite(value) or value < 0 else float(value)


def _safe_top_p(value: float) -> float:
    """A top-p between 0 and 1 (0 keeps only the favourite; NaN keeps everything)."""
    return 1.0 if not math.isfinite(value) else min(max(float(value), 0.0), 1.0)


@dataclass(frozen=True)
class Bar:
    """One bar of the chart: a token, or the "everything else" group."""

    label: str  # the token made visible (spaces as ␣), or "" for the group
    raw_prob: float
    prob: float
    kept: bool
    is_rest: bool = False


def chart_bars(shaped: Reshaped, shown: int = SHOWN_BARS, finished: str | None = None) -> list[Bar]:
    """The top `shown` candidates as bars, and one last bar for everything else.

    `finished`: the whole character the favourite makes when it is only a piece of one (see
    finish_character); its bar then reads '␣<0xEB> → ␣뷁' instead of the bare bytes.
    """
    top = shaped.candidates[:shown]
    bars = [Bar(visible_token(c.token), c.raw_prob, c.prob, c.kept) for c in top]
    if finished and top and not is_readable(top[0].token):
        bars[0] = replace(bars[0], label=f"{visible_token(top[0].token)} → {visible_token(finished)}")
    # Everything else: the rest of the pool plus every token the model did not list.
    rest_raw = max(0.0, 1.0 - sum(b.raw_prob for b in bars))
    # After reshaping only the pool can be drawn: the rest is exactly what the pool holds beyond
    # the bars (0 when top-k or top-p cut it all; "1 - the bars" would leave rounding dust, <0.1%).
    rest = shaped.candidates[shown:]
    rest_prob = math.fsum(c.prob for c in rest if c.kept)
    rest_kept = any(c.kept and c.prob > 0 for c in rest)
    bars.append(Bar("", rest_raw, rest_prob, rest_kept, is_rest=True))
    return bars


def pieces_shown(shaped: Reshaped, shown: int = SHOWN_BARS) -> tuple[int, float]:
    """How many of the charted candidates are pieces of a character, and their raw probability."""
    pieces = [c for c in shaped.candidates[:shown] if not is_readable(c.token)]
    return len(pieces), math.fsum(c.raw_prob for c in pieces)


def visible_token(token: str) -> str:
    """A token with its invisible parts shown: a leading space as ␣, a newline as ↵, a tab as ⇥."""
    if token == "":
        return "∅"
    return token.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")


_BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")


def is_readable(token: str) -> bool:
    """False for a token that is only a piece of a character (e.g. one byte of a Korean syllable).

    Depending on the tokenizer, such a byte decodes to '\ufffd' or is spelled like '<0xEB>'.
    """
    return "\ufffd" not in token and not _BYTE_TOKEN.search(token)


def piece_bytes(token: str) -> bytes | None:
    """The bytes a piece of a character stands for, from its label: ' <0xEB>' is a space and the
    byte EB, the first of the three UTF-8 bytes of a Korean syllable from 뀀 to 뿿. None when the
    label does not spell its bytes (a '\ufffd' from some servers)."""
    if "\ufffd" in token:
        return None
    parts = re.split(r"(<0x[0-9A-Fa-f]{2}>)", token)
    return b"".join(bytes.fromhex(p[3:5]) if _BYTE_TOKEN.fullmatch(p) else p.encode("utf-8") for p in parts)


def finish_character(piece: str, continuation: str) -> str | None:
    """The piece of a character completed into whole text, from the model's own continuation.

    `continuation` is what the model writes next when it takes this piece (its greedy answer from
    the same text, which starts with the favourite piece and, thanks to the engine's UTF-8 guard,
    finishes the character). Returns the shortest start of it that covers the piece's bytes and
    ends on a whole character, e.g. ' <0xEB>' + ' 뷁니다' -> ' 뷁'; None when the continuation does
    not start with the piece's bytes (then it is not this piece's character).
    """
    wanted = piece_bytes(piece)
    if not continuation or "\ufffd" in continuation:
        return None
    if wanted is not None and not continuation.encode("utf-8").startswith(wanted):
        return None
    need = len(wanted) if wanted else 1
    covered = 0
    for end, ch in enumerate(continuation, start=1):
        covered += len(ch.encode("utf-8"))
        if covered >= need and (wanted is not None or not ch.isspace()):
            return continuation[:end]
    return None


# ---------------------------------------------------------------------------------------------
# Continue: the generation loop by hand, kept as a list of steps
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One token added to the text, and how it was chosen."""

    token: str
    id: int
    prob: float  # the probability it had when it was chosen (after the learner's settings)
    raw_prob: float  # the model's own probability for it
    how: str  # "picked" (clicked by the learner) | "greedy" | "sampled"
    # When the chosen token was only a piece of a character (' <0xEB>'): that piece's label. `token`
    # is then the whole character the model made of it over the next step(s), e.g. ' 뷁'.
    piece: str = ""


@dataclass(frozen=True)
class Continuation:
    """The learner's start text and every token added since. Undo = drop the last step."""

    start: str = ""
    steps: tuple[Step, ...] = ()
    rounds: int = 0  # how many times "regenerate" was pressed (changes the random draws)

    @property
    def text(self) -> str:
        """The whole text so far: the start plus each added token."""
        return self.start + "".join(step.token for step in self.steps)


def append_step(state: Continuation, step: Step) -> Continuation:
    """The state with one more token at the end."""
    return replace(state, steps=state.steps + (step,))


def undo(state: Continuation) -> Continuation:
    """Step back: remove the last added token (nothing to undo leaves the state as it is)."""
    return replace(state, steps=state.steps[:-1])


def cut_before(state: Continuation, index: int) -> tuple[Continuation, int]:
    """Regenerate from step `index`: keep the steps before it, and say how many to draw again."""
    index = min(max(int(index), 0), len(state.steps))
    removed = len(state.steps) - index
    return replace(state, steps=state.steps[:index], rounds=state.rounds + 1), removed


def regenerate_choice(chosen: object, chosen_for: object, steps: int) -> int:
    """Which step "Regenerate from step" offers: the learner's own choice while the steps are the
    ones they chose it for, else the last step (so one click redraws only the newest token and
    never throws away earlier ones, including tokens picked by hand)."""
    if isinstance(chosen, int) and chosen_for == steps and 0 <= chosen < steps:
        return chosen
    return max(steps - 1, 0)


def restart(state: Continuation, start: str) -> Continuation:
    """A new start text: earlier steps belonged to the old text, so they go."""
    return Continuation(start=start, steps=(), rounds=0)


def step_seed(seed: int, position: int, rounds: int) -> int:
    """The random seed for one draw: the same seed, position and round always give the same token."""
    return (int(seed) * 1_000_003 + rounds * 10_007 + position) % (2**63)


def can_finish(shaped: Reshaped, candidate: Candidate, finishable: bool) -> bool:
    """Whether `candidate` may be chosen: a readable token always; a piece of a character only when
    it is the model's favourite and the page can let the model finish the character (`finishable`).

    Why only the favourite: the lab asks the model about text, and a half character is not text.
    The model's own greedy continuation of the text starts with its favourite and finishes that
    character, so the favourite piece can become whole text; any other piece cannot.
    """
    if is_readable(candidate.token):
        return True
    return finishable and bool(shaped.candidates) and candidate is shaped.candidates[0]


def choose(shaped: Reshaped, how: str, *, seed: int | None = None, finishable: bool = False) -> Candidate | None:
    """Pick the next token: greedy takes the favourite, sampled rolls the dice on the kept pool.

    A token that is only part of a character cannot be appended to text by itself. With
    `finishable` the favourite may be such a piece (the caller then lets the model finish the
    character, see finish_character); other pieces are skipped. Returns None when nothing is left.
    """
    from tutor.llm.sampling import sample_index, seeded_generator

    pool = [c for c in shaped.candidates if c.kept and c.prob > 0 and can_finish(shaped, c, finishable)]
    if not pool:
        pool = [c for c in shaped.candidates if can_finish(shaped, c, finishable)][:1]
        if not pool:
            return None
    if how == "greedy":
        # greedy: the highest probability wins, no dice
        return max(pool, key=lambda c: (c.prob, c.raw_prob))
    # sampling: a weighted die, one face per kept token (sample_index renormalises the weights)
    index = sample_index([c.prob for c in pool], seeded_generator(seed))
    return pool[index]


def step_from(candidate: Candidate, how: str, finished: str | None = None) -> Step:
    """Record a chosen candidate as a step; `finished` is the whole character a piece became."""
    if finished is not None and not is_readable(candidate.token):
        return Step(finished, candidate.id, candidate.prob, candidate.raw_prob, how, piece=candidate.token)
    return Step(candidate.token, candidate.id, candidate.prob, candidate.raw_prob, how)


def generate(
    state: Continuation,
    distribution_for: Callable[[str], NextTokenDistribution],
    *,
    how: str,
    count: int,
    temperature: float,
    top_k: int,
    top_p: float,
    seed: int,
    finish_for: Callable[[str], str] | None = None,
) -> Continuation:
    """Run the generation loop `count` times: predict, reshape, choose, append, repeat.

    `finish_for(text)` is the model's greedy continuation of `text` (a few tokens). With it, the
    favourite may be a piece of a character: the loop takes it and lets the model finish the
    character, so greedy really takes the favourite (see can_finish).
    """
    for _ in range(max(0, int(count))):
        # 1. predict: what does the model think comes after the text so far?
        dist = distribution_for(state.text)
        # 2. reshape with the learner's settings
        shaped = reshape(dist, temperature=temperature, top_k=top_k, top_p=top_p)
        # 3. choose (greedy or a seeded draw), 4. append, and go round again
        draw_seed = step_seed(seed, len(state.steps), state.rounds)
        picked = choose(shaped, how, seed=draw_seed, finishable=finish_for is not None)
        finished = None
        if picked is not None and not is_readable(picked.token) and finish_for is not None:
            finished = finish_character(picked.token, finish_for(state.text))
            if finished is None:  # the model did not finish this piece's character: skip pieces
                picked = choose(shaped, how, seed=draw_seed)
        if picked is None:
            break
        state = append_step(state, step_from(picked, how, finished))
    return state


def is_greedy(temperature: float) -> bool:
    """True when the temperature is so low that sampling always takes the favourite."""
    from tutor.llm.sampling import MIN_TEMPERATURE

    return _safe_temperature(temperature) < MIN_TEMPERATURE


def probability_colour(prob: float) -> str:
    """A background colour for a token: red for unlikely, yellow for so-so, green for likely."""
    prob = min(max(prob if math.isfinite(prob) else 0.0, 0.0), 1.0)
    hue = round(120 * prob)  # 0 = red … 120 = green
    return f"hsl({hue}, 75%, 82%)"


# ---------------------------------------------------------------------------------------------
# Tokens and training pairs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PieceRow:
    """One readable piece of tokenized text, for the Tokens table."""

    text: str  # made visible (␣ for spaces)
    ids: tuple[int, ...]

    @property
    def token_count(self) -> int:
        return len(self.ids)


def piece_rows(pieces: Sequence[TokenPiece]) -> list[PieceRow]:
    """Tokenizer pieces as rows; a Korean syllable split into byte tokens stays one row."""
    return [PieceRow(visible_token(p.text), tuple(p.ids)) for p in pieces]


def token_total(pieces: Sequence[TokenPiece]) -> int:
    """How many tokens the pieces hold (one readable piece can be several byte tokens)."""
    return sum(max(1, len(p.ids)) for p in pieces)


@dataclass(frozen=True)
class CharsVsTokens:
    label: str
    text: str
    characters: int
    tokens: int

    @property
    def characters_per_token(self) -> float:
        return self.characters / self.tokens if self.tokens else 0.0


def chars_vs_tokens(samples: dict[str, str], tokenize: Callable[[str], list[TokenPiece]]) -> list[CharsVsTokens]:
    """For each labelled text: how many characters, and how many tokens the model needs for it."""
    rows = []
    for label, text in samples.items():
        if is_empty(text):
            continue
        rows.append(CharsVsTokens(label, text, len(text), token_total(tokenize(text))))
    return rows


@dataclass(frozen=True)
class TrainingPair:
    """One training example cut from a sentence: the model sees `context`, must predict `target`."""

    context: str
    target: str


def training_pairs(pieces: Sequence[TokenPiece], limit: int = MAX_PAIRS) -> list[TrainingPair]:
    """Every (text so far → next token) example one sentence gives, for free, with no labelling.

    A sentence of n tokens gives n - 1 examples: the first token has nothing before it to learn from.
    """
    pairs = []
    for i in range(1, min(len(pieces), limit + 1)):
        context = "".join(p.text for p in pieces[:i])
        pairs.append(TrainingPair(context=context, target=pieces[i].text))
    return pairs


# ---------------------------------------------------------------------------------------------
# Build a tokenizer: train a small sentencepiece model on the course's own lessons
# ---------------------------------------------------------------------------------------------

_MARKDOWN = re.compile(r"\]\([^)]*\)|[*_`#>|\[\]]")


def course_sentences(lessons: Iterable[object]) -> list[str]:
    """Every line of prose in the given lessons (titles, intros, sections), without Markdown marks."""
    lines: list[str] = []
    for lesson in lessons:
        parts = [lesson.title, lesson.summary]  # type: ignore[attr-defined]
        parts += [b.value for b in lesson.intro if b.kind == "markdown"]  # type: ignore[attr-defined]
        for section in lesson.sections:  # type: ignore[attr-defined]
            parts += [section.title, section.text]
        for part in parts:
            for line in part.splitlines():
                line = _MARKDOWN.sub("", line).strip()
                if line:
                    lines.append(line)
    return lines


class TokenizerTrainingError(ValueError):
    """Training could not run; `code` says why in a way the page can translate."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # "bad_type" | "bad_size" | "no_text" | "failed"


@dataclass(frozen=True)
class SplitPiece:
    """One piece of a sentence as a trained tokenizer cut it."""

    text: str  # the piece, ▁ where a space was; UNKNOWN_PIECE when the vocabulary has none for it
    surface: str  # the characters of the sentence it stands for
    start: int  # where those characters are in the sentence (UTF-8 byte offsets, end excluded)
    end: int

    @property
    def unknown(self) -> bool:
        return self.text == UNKNOWN_PIECE

    @property
    def shown(self) -> str:
        """As the page writes it: an unknown piece with the characters it stands for, "⁇(앉았)"."""
        return f"{UNKNOWN_PIECE}({self.surface.strip()})" if self.unknown else self.text


@dataclass(frozen=True)
class TrainedTokenizer:
    """A sentencepiece model trained in memory, kept as bytes (easy to cache and share)."""

    model_type: str  # "bpe" | "unigram"
    requested_size: int
    vocab_size: int  # the size it really has (lower when the text cannot fill the request)
    model_proto: bytes = field(repr=False)
    left_out_chars: int = 0  # rare characters left out to fit a small vocabulary (they become ⁇)

    @property
    def shrunk(self) -> bool:
        return self.vocab_size < self.requested_size

    def split(self, text: str) -> list[str]:
        """How this tokenizer cuts `text` into pieces (▁ marks where a space was)."""
        return [piece.text for piece in self.pieces(text)]

    def pieces(self, text: str) -> list[SplitPiece]:
        """The pieces of `text`, each with the characters it stands for.

        Characters the vocabulary has no piece for come out as the unknown piece ⁇, and
        sentencepiece writes a run of them as *one* ⁇: "앉았" is one piece while neither
        character is known, two once one of them is (see ladder_rises)."""
        import sentencepiece as spm

        processor = spm.SentencePieceProcessor(model_proto=self.model_proto)
        return [
            SplitPiece(UNKNOWN_PIECE if processor.IsUnknown(p.id) else p.piece, p.surface, p.begin, p.end)
            for p in processor.encode(text, out_type="proto").pieces
        ]


UNKNOWN_PIECE = "⁇"
_TOO_BIG = re.compile(r"set it to a value <= (\d+)")
_TOO_SMALL = re.compile(r"smaller than required_chars\. (\d+) vs (\d+)")
_META_PIECES = 1  # only <unk>: no <s> / </s>, to leave room for real pieces in small vocabularies


def train_tokenizer(sentences: Sequence[str], vocab_size: int, model_type: str = "bpe") -> TrainedTokenizer:
    """Learn a vocabulary of `vocab_size` pieces from `sentences`, the way real tokenizers are made.

    BPE starts from single characters and repeatedly glues the most frequent neighbouring pair
    into a new piece; unigram starts from many candidate pieces and drops the least useful ones.

    - A vocabulary too small to hold every character keeps the most frequent characters; the rest
      become the unknown piece ⁇ (`left_out_chars` says how many).
    - A vocabulary larger than the text can fill is shrunk to the largest size it allows
      (`shrunk` is True and `vocab_size` says the size reached).
    """
    if model_type not in ("bpe", "unigram"):
        raise TokenizerTrainingError("bad_type", f"model_type must be 'bpe' or 'unigram', not {model_type!r}")
    if not isinstance(vocab_size, int) or not MIN_VOCAB <= vocab_size <= MAX_VOCAB:
        raise TokenizerTrainingError("bad_size", f"vocab_size must be {MIN_VOCAB}…{MAX_VOCAB}, not {vocab_size!r}")
    sentences = [s for s in sentences if s.strip()]
    if not sentences:
        raise TokenizerTrainingError("no_text", "there is no text to learn from")

    # How many different characters the text uses, most frequent first.
    ranked = _characters_by_frequency(sentences)
    size, margin = vocab_size, 2
    for _attempt in range(5):
        # Room for single characters: the vocabulary minus <unk>, with a small margin.
        room = max(size - _META_PIECES - margin, 1)
        text, left_out = sentences, 0
        if len(ranked) > room:
            # Too many characters for this vocabulary: keep the `room` most frequent ones and turn
            # the rest into spaces, so the tokenizer never learns them (they will show as ⁇).
            keep = set(ranked[:room])
            text = ["".join(ch if ch in keep else " " for ch in s) for s in _normalized(sentences)]
            left_out = len(ranked) - room
        try:
            proto = _train_once(text, size, model_type)
            return TrainedTokenizer(model_type, vocab_size, size, proto, left_out)
        except RuntimeError as err:
            message = str(err)
            if (too_big := _TOO_BIG.search(message)) and int(too_big.group(1)) < size:
                size = int(too_big.group(1))  # the text cannot fill this many pieces: use the most it can
                continue
            if (too_small := _TOO_SMALL.search(message)) and room > 1:
                # sentencepiece counted characters a little differently (it counts ▁ too): keep fewer
                margin += int(too_small.group(2)) - int(too_small.group(1)) + 2
                continue
            raise TokenizerTrainingError("failed", message) from err
    raise TokenizerTrainingError("failed", f"could not train a vocabulary of {vocab_size}")


def _normalized(sentences: Sequence[str]) -> list[str]:
    """The text after the NFKC clean-up sentencepiece does first (e.g. full-width letters to normal)."""
    return [unicodedata.normalize("NFKC", s) for s in sentences]


def _characters_by_frequency(sentences: Sequence[str]) -> list[str]:
    """Every distinct character in the text (spaces aside), most frequent first."""
    counts: dict[str, int] = {}
    for sentence in _normalized(sentences):
        for ch in sentence:
            if not ch.isspace():
                counts[ch] = counts.get(ch, 0) + 1
    return sorted(counts, key=lambda ch: (-counts[ch], ch))


def _train_once(sentences: Sequence[str], vocab_size: int, model_type: str) -> bytes:
    """One sentencepiece training run, entirely in memory."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        vocab_size=vocab_size,
        model_type=model_type,
        character_coverage=1.0,  # every character it sees gets a piece (rare ones were removed above)
        bos_id=-1,
        eos_id=-1,
        num_threads=2,
        minloglevel=2,  # quiet: errors still raise
    )
    return model.getvalue()


def visible_pieces(pieces: Sequence[str]) -> str:
    """sentencepiece pieces joined with a thin separator, ▁ kept so learners see the spaces."""
    return " | ".join(pieces)


@dataclass(frozen=True)
class LadderRise:
    """Two neighbouring sizes of the vocabulary ladder where the larger one needs more pieces for
    the sentence, and why."""

    smaller: int  # vocabulary sizes
    larger: int
    before: int  # pieces at the smaller size
    after: int  # pieces at the larger size
    # Runs of characters that were one ⁇ together at the smaller size and are cut into several
    # pieces at the larger one, which knows some of them. Empty: the vocabularies simply chose
    # different pieces (each size is trained on its own).
    unknown_runs: tuple[str, ...]


def ladder_rises(rungs: Sequence[tuple[int, Sequence[SplitPiece]]]) -> list[LadderRise]:
    """Every step of the ladder (vocabulary size, the sentence's pieces), smallest size first, where
    the piece count goes up instead of down.

    A bigger vocabulary usually means fewer, longer pieces. The exception a learner meets is the
    unknown piece: a small vocabulary writes a whole run of characters it lacks as one ⁇, so it
    looks short because it lost those characters. A larger vocabulary that knows some of them
    writes them as pieces of their own: more pieces, more of the sentence kept."""
    rises = []
    for (smaller, before), (larger, after) in zip(rungs, rungs[1:], strict=False):  # neighbours
        if len(after) <= len(before):
            continue
        runs = []
        for piece in before:
            if piece.unknown and len(piece.surface.strip()) > 1:
                # How many pieces the larger vocabulary needs for these same characters.
                over = [p for p in after if p.start < piece.end and p.end > piece.start]
                if len(over) > 1:
                    runs.append(piece.surface.strip())
        rises.append(LadderRise(smaller, larger, len(before), len(after), tuple(dict.fromkeys(runs))))
    return rises
