"""Prompting practice: a transparent rubric for prompts, success rules for model output, exercises.

- rubric.py    — rule-based checks on what a prompt says (context, format, examples, steps, ...).
- rules.py     — checks on what the MODEL wrote (JSON keys, bullet count, answer format, ...).
- exercises.py — the exercise and tip-card data in content/prompting/<lang>.toml, loaded and validated.
- practice.py  — running a prompt on the model, grading its output, judging a tip's demo, the feedback split.
- session.py   — what the page keeps between reruns: the pending click, tip results, attempts and runs.
- wording.py   — the sentences the page builds from all of the above.
"""
