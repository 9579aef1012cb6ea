"""The exit codes of `python -m tutor`, in one table: what a script or the Makefile can rely on.

Every command maps a failure's EngineError code (tutor.llm.base) to its exit code here, so `ask`
and `next-token` exit the same way for the same failure. Imports nothing heavy (no torch, no
scikit-learn): building the CLI parser must stay quick.
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_MODEL_MISSING = 3
EXIT_HASH_MISMATCH = 4
EXIT_OUT_OF_MEMORY = 5
EXIT_GENERATION_FAILED = 6
EXIT_BAD_CONFIG = 7
EXIT_SERVER_FAILED = 8
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    "model_missing": EXIT_MODEL_MISSING,
    "part_missing": EXIT_MODEL_MISSING,
    # the remote engine shows a tokenizer or template only when the model is prepared here too
    "template_unavailable": EXIT_MODEL_MISSING,
    "tokenizer_unavailable": EXIT_MODEL_MISSING,
    "hash_mismatch": EXIT_HASH_MISMATCH,
    "out_of_memory": EXIT_OUT_OF_MEMORY,
    "generation_failed": EXIT_GENERATION_FAILED,
    "timeout": EXIT_GENERATION_FAILED,
    "bad_config": EXIT_BAD_CONFIG,
    "bad_input": EXIT_BAD_CONFIG,
    "needs_local": EXIT_BAD_CONFIG,  # the inside-the-model commands with backend = "openai"
    # the model server (backend = "openai"): a setting to fix ...
    "server_auth": EXIT_BAD_CONFIG,  # openai_api_key
    "model_not_on_server": EXIT_BAD_CONFIG,  # openai_model
    "server_rejected": EXIT_BAD_CONFIG,  # the request itself (e.g. too long)
    # ... or a server that is down, busy or broken: worth trying again later
    "server_unreachable": EXIT_SERVER_FAILED,
    "server_timeout": EXIT_SERVER_FAILED,
    "server_busy": EXIT_SERVER_FAILED,
    "server_error": EXIT_SERVER_FAILED,
    "server_bad_reply": EXIT_SERVER_FAILED,
    "server_failed": EXIT_SERVER_FAILED,  # llama.cpp's server did not start (tutor/llm/llama_server.py)
    "stream_interrupted": EXIT_SERVER_FAILED,
    "cancelled": EXIT_INTERRUPTED,  # stopped while waiting for the model
}


def exit_code_for(code: str) -> int:
    """The documented exit code for an EngineError code (1 for a code this table does not know)."""
    return EXIT_CODES.get(code, EXIT_UNEXPECTED)
