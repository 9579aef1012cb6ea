"""`python -m tutor ask "QUESTION" [--lang ko|en] [--explain] [--anyway] [--json]`: the tutor's answer on the
command line, from the same pipeline as the chat page (tutor.chat.answer.ask).

Kept apart from tutor.chat.answer so that building the CLI parser does not import scikit-learn; the
search index and the model load only when `ask` actually runs.
"""
from __future__ import annotations

import argparse
import json
import sys

from tutor.exit_codes import EXIT_OK, exit_code_for


def add_ask_command(subparsers: argparse._SubParsersAction) -> None:
    """Register `ask` on the CLI's subcommand parser."""
    parser = subparsers.add_parser("ask", help="ask the tutor a question; it answers from the lessons")
    parser.add_argument("question", help="the question, in Korean or English")
    parser.add_argument("--lang", choices=("ko", "en"), default=None,
                        help="the learner's language (default: the question's); a clearly Korean or English "
                             "question is answered in its own language")
    parser.add_argument("--json", action="store_true",
                        help='print {"answer", "quote", "model_text", "checks", "citations", "grounded", ...} as JSON')
    parser.add_argument("--explain", action="store_true",
                        help="add the small model's explanation of the lesson's quote (checked sentence by sentence)")
    parser.add_argument("--anyway", action="store_true",
                        help="for a question the lessons don't cover, let the model answer anyway (unchecked)")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = always the most likely word")
    parser.set_defaults(func=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    """Print the answer (or JSON) and return the exit code (0, or the code for what failed)."""
    from tutor.chat.answer import ask
    from tutor.chat.retrieval import question_language

    lang = args.lang or question_language(args.question)
    result = ask(args.question, lang, temperature=args.temperature, explain=args.explain, anyway=args.anyway)
    code = exit_code_for(result.get("error_code", "")) if "error" in result else EXIT_OK
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return code
    print(result["answer"])
    for c in result["citations"]:
        print(f"  - {c['lesson']}#{c['section']} ({c['score']:.3f})")
    if "error" in result:
        print(result["error"], file=sys.stderr)
    return code
