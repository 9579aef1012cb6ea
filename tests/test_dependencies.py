"""pyproject.toml declares the dependencies; requirements.lock pins every package with its hashes
(issue 18 item 4). These checks catch a declaration changed without `make lock`."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>~! ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of every package in requirements.lock."""
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    out = {}
    for block in re.split(r"\n(?=[a-z0-9])", text):
        head = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", block)
        if head:
            out[head[1].lower()] = (head[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return out


def _declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]


def test_every_declared_dependency_is_locked_at_its_declared_version():
    locked = _locked()
    for requirement in _declared():
        version = requirement.split("==")[1]
        name = _name(requirement)
        assert name in locked, f"{name} is in pyproject.toml but not in requirements.lock: run make lock"
        # torch's lock entry is the CPU build, 2.13.0+cpu, which ==2.13.0 admits.
        assert locked[name][0].split("+")[0] == version, f"{name}: {locked[name][0]} locked, {version} declared"


def test_every_locked_package_has_a_hash_and_no_machine_setting_is_locked():
    locked = _locked()
    assert len(locked) > 50, "the lock holds every package the declared ones pull in"
    assert [name for name, (_, hashes) in locked.items() if not hashes] == []
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert not re.search(r"^--(index-url|extra-index-url|find-links)", text, re.M)


def test_torch_is_locked_to_the_cpu_build():
    version, hashes = _locked()["torch"]
    assert version.endswith("+cpu") and len(hashes) == 1
