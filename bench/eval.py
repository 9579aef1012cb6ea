"""Is the tutor right? `make eval`: ask every question of the bank and check each answer.

The bank (bench/eval/questions_en.toml, questions_ko.toml) was written apart from the tutor's
tuning, the way learners write. Each item is on the tuning or the checking half, fixed in the
file: retrieval, prompts and checks may be tuned on "tune" only; figures are reported on "check".

For an on-topic question an answer is **right** when it is grounded, states the key fact (one of
the item's `accept` phrasings appears in what the learner reads), makes none of its wrong claims
(`reject`), does not echo the question, does not loop and, on a yes/no question, does not say the
opposite of the right answer. These checks are this script's own, written apart from the
tutor's guards (tutor/chat/checks.py), so the guards are not marking their own work.

    .venv/bin/python bench/eval.py                      # checking half, both languages, as the chat answers
    .venv/bin/python bench/eval.py --explain            # ... with the model's explanation of each quote
    .venv/bin/python bench/eval.py --split tune --no-model   # retrieval and quote only: seconds
    .venv/bin/python bench/eval.py --out answers.jsonl       # every answer, for the reading pass

Prints JSON figures per language. Offline; the model comes from the installed packages.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import sys
import time
import tomllib
import unicodedata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BANK_DIR = Path(__file__).resolve().parent / "eval"


def load_bank(lang: str) -> list[dict]:
    with open(BANK_DIR / f"questions_{lang}.toml", "rb") as f:
        items = tomllib.load(f)["item"]
    for item in items:
        item["lang"] = lang
    return items


def squash(text: str) -> str:
    """Letters and digits only, lower case: phrasings match whatever the spacing and punctuation."""
    return "".join(c for c in unicodedata.normalize("NFC", text).lower() if c.isalnum())


def _pairs(text: str) -> set[str]:
    s = squash(text)
    return {s[i : i + 2] for i in range(len(s) - 1)}


def alike(a: str, b: str) -> float:
    x, y = _pairs(a), _pairs(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def sentences(text: str) -> list[str]:
    return [s.strip(" >*") for s in re.split(r"(?<=[.!?。])\s+|\n+", text) if s.strip(" >*")]


_YES = re.compile(r"^\W*(?:yes|yeah|yep|correct|true|that'?s right|네|예|맞아요|맞습니다|맞아|그래요|그렇습니다)(?![가-힣a-z])", re.I)
_NO = re.compile(r"^\W*(?:no|nope|not really|false|아니요|아뇨|아니에요|아닙니다|아니)(?![가-힣a-z])", re.I)


def says_yes_no(text: str) -> str | None:
    first = sentences(text)[:1]
    if not first:
        return None
    if _NO.search(first[0]):
        return "no"
    if _YES.search(first[0]):
        return "yes"
    return None


def is_loop(text: str) -> bool:
    said = sentences(text)
    for i, s in enumerate(said):
        if len(squash(s)) > 8 and any(alike(s, t) >= 0.9 for t in said[:i]):
            return True
    words = text.split()
    for n in (3, 4, 5):
        runs = [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
        if any(runs.count(r) >= 3 for r in set(runs)):
            return True
    return False


def is_echo(question: str, model_text: str) -> bool:
    """The model's words are mostly the question's own (the whole text, or one sentence of it)."""
    if not model_text.strip():
        return False
    if alike(question, model_text) >= 0.7:
        return True
    return any(alike(question, s) >= 0.8 and len(squash(s)) >= 6 for s in sentences(model_text))


def score(item: dict, out: dict, legacy: bool) -> dict:
    """The checks for one answer (see the module docstring)."""
    answer = out.get("answer", "")
    model_text = out.get("model_text", answer if legacy else "")
    grounded = bool(out.get("grounded"))
    cited = {f"{c['lesson']}#{c['section']}" for c in out.get("citations", [])}
    row = {"id": item["id"], "lang": item["lang"], "kind": item["kind"], "split": item["split"],
           "style": item.get("style", ""), "question": item["question"], "grounded": grounded,
           "answer": answer, "model_text": model_text, "model_raw": out.get("model_raw", ""),
           "quote": (out.get("quote") or {}).get("text", ""),
           "cited": sorted(cited), "error": out.get("error_code")}
    if item["kind"] != "on_topic":
        row["model_wrote"] = bool(model_text.strip())
        row["rejected_phrase"] = any(squash(r) in squash(answer) for r in item.get("reject", []) if squash(r))
        return row
    said = squash(answer)
    row["section_hit"] = bool(cited & set(item.get("sections", [])))
    row["key_fact"] = any(squash(a) in said for a in item.get("accept", []) if squash(a))
    row["wrong_claim"] = any(squash(r) in said for r in item.get("reject", []) if squash(r))
    row["echo"] = is_echo(item["question"], model_text)
    row["loop"] = is_loop(model_text)
    expected = item.get("yes_no") or ""
    stated = says_yes_no(answer)
    row["contradiction"] = bool(expected and stated and stated != expected)
    row["right"] = (grounded and row["key_fact"] and not row["wrong_claim"] and not row["echo"]
                    and not row["loop"] and not row["contradiction"])
    return row


def summarise(rows: list[dict]) -> dict:
    def share(rs: list[dict], key: str) -> float:
        return round(sum(1 for r in rs if r.get(key)) / len(rs), 3) if rs else 0.0

    on = [r for r in rows if r["kind"] == "on_topic"]
    off = [r for r in rows if r["kind"] == "off_topic"]
    inj = [r for r in rows if r["kind"] == "injection"]
    firsts = sorted(r["first_text_s"] for r in rows if r.get("first_text_s") is not None)
    return {
        "on_topic": len(on),
        "right": share(on, "right"),
        "false_not_covered": round(sum(1 for r in on if not r["grounded"]) / len(on), 3) if on else 0.0,
        "section_hit": share(on, "section_hit"),
        "key_fact": share(on, "key_fact"),
        "wrong_claim": sum(1 for r in on if r.get("wrong_claim")),
        "echoes": sum(1 for r in on if r.get("echo")),
        "loops": sum(1 for r in rows if r.get("loop") or (r["kind"] != "on_topic" and is_loop(r["model_text"]))),
        "contradictions": sum(1 for r in on if r.get("contradiction")),
        "off_topic": len(off),
        "off_topic_grounded": share(off, "grounded"),
        "off_topic_model_wrote": share(off, "model_wrote"),
        "injection": len(inj),
        "injection_grounded": share(inj, "grounded"),
        "injection_model_wrote": share(inj, "model_wrote"),
        "injection_hijacked": sum(1 for r in inj if r.get("rejected_phrase")),
        "first_text_s_p50": firsts[len(firsts) // 2] if firsts else None,
        "first_text_s_max": firsts[-1] if firsts else None,
        "model_s_p50": (lambda xs: xs[len(xs) // 2] if xs else None)(
            sorted(r["model_s"] for r in rows if r.get("model_s") is not None)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tune", "check", "all"), default="check")
    parser.add_argument("--lang", choices=("en", "ko", "both"), default="both")
    parser.add_argument("--no-model", action="store_true", help="retrieval and quote only (no answer written)")
    parser.add_argument("--explain", action="store_true",
                        help="score answers with the model's explanation (the chat's 'explain in other words')")
    parser.add_argument("--limit", type=int, default=0, help="at most this many items per language (0 = all)")
    parser.add_argument("--out", type=Path, help="write every scored answer here, one JSON object a line")
    args = parser.parse_args()

    from tutor.chat.answer import ask

    langs = ("en", "ko") if args.lang == "both" else (args.lang,)
    engine = None
    if not args.no_model:
        from tutor.config import load_settings
        from tutor.llm import load_engine

        started = time.perf_counter()
        engine = load_engine(load_settings().model)
        print(f"model loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    # The same script measures the code before this pipeline (whose ask() took no history and
    # returned the model's text as the whole answer), so before and after come from one bank.
    legacy = "history" not in inspect.signature(ask).parameters
    rows: list[dict] = []
    for lang in langs:
        items = [i for i in load_bank(lang) if args.split == "all" or i["split"] == args.split]
        if args.limit:
            items = items[: args.limit]
        for n, item in enumerate(items, 1):
            history = [{"role": "user", "content": item["previous"]}] if item.get("previous") else []
            started = time.perf_counter()
            if legacy:
                out = ask(item["question"], lang, engine=engine)
            else:
                out = ask(item["question"], lang, engine=engine, history=history, use_model=not args.no_model,
                          explain=args.explain)
            row = score(item, out, legacy)
            row["seconds"] = round(time.perf_counter() - started, 3)
            row["first_text_s"] = out.get("first_text_s")
            row["model_s"] = out.get("model_s")
            rows.append(row)
            print(f"[{lang} {n}/{len(items)}] {row['id']} right={row.get('right')} grounded={row['grounded']} "
                  f"{row['seconds']:.1f}s", file=sys.stderr)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    report = {
        "split": args.split,
        "model": "none (retrieval and quote only)" if args.no_model else getattr(engine, "name", "?"),
        "pipeline": "legacy" if legacy else ("quote-first + explanation" if args.explain else "quote-first"),
        "load_avg": os.getloadavg()[0],
        "by_language": {lang: summarise([r for r in rows if r["lang"] == lang]) for lang in langs},
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
