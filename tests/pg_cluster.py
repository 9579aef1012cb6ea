"""A throwaway PostgreSQL server for the progress tests and the progress bench (loopback only).

`throwaway_database()` yields the URL of a fresh, empty database and removes it afterwards:
- with LLM_TUTOR_TEST_PG_URL set, a new database on that server (the role needs CREATEDB);
- else, with Debian's PostgreSQL installed (/usr/lib/postgresql/<version>/bin/initdb), a new
  cluster in a temporary folder, listening on 127.0.0.1 at a free port with its unix socket inside
  that folder, stopped and deleted at the end. PostgreSQL refuses to run as root, so as root the
  server runs as the `postgres` user (runuser); as anyone else it runs as that user;
- else `PostgresMissing` says why (the tests skip with that reason).
"""
from __future__ import annotations

import atexit
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql

ENV_URL = "LLM_TUTOR_TEST_PG_URL"


class PostgresMissing(RuntimeError):
    """No PostgreSQL server can be had here."""


def _newest_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _runner() -> tuple[list[str], str | None]:
    """The command prefix that runs the server's programs, and the user to own its files."""
    if os.geteuid() != 0:
        return [], None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresMissing("running as root and there is no 'postgres' user to run the server") from None
    return ["runuser", "-u", "postgres", "--"], "postgres"


@dataclass
class Cluster:
    """A running throwaway server: its URL, and stop() / start() to take it down and bring it back."""

    url: str
    _pg_ctl: list[str]
    _start_options: str
    _log: Path

    def _run(self, *args: str) -> bool:
        return subprocess.run([*self._pg_ctl, *args], capture_output=True, timeout=90).returncode == 0

    def start(self) -> bool:
        return self._run("-l", str(self._log), "-w", "-t", "60", "-o", self._start_options, "start")

    def stop(self) -> bool:
        return self._run("-m", "immediate", "stop")


@contextmanager
def throwaway_cluster(*, fast: bool = True) -> Iterator[Cluster]:
    """A new PostgreSQL cluster; its `url` names the `postgres` database.

    `fast` turns off fsync (tests never survive an OS crash anyway, and the disk is shared); the
    bench passes False to measure what a real server does."""
    bin_dir = _newest_bin_dir()
    if bin_dir is None:
        raise PostgresMissing(f"no PostgreSQL here: set {ENV_URL} or apt-get install postgresql")
    prefix, owner = _runner()
    home = Path(tempfile.mkdtemp(prefix="llm-tutor-pg-"))
    data, sockets, log = home / "data", home / "sock", home / "server.log"
    sockets.mkdir()
    if owner:
        os.chmod(home, 0o755)  # the postgres user must reach the folder; the data dir stays 0700
        for path in (home, sockets):
            shutil.chown(path, owner, owner)
    cluster = None
    try:
        subprocess.run(
            [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )
        settings = ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sockets}"]
        if fast:
            settings += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        for _attempt in range(3):  # the free port may be taken between choosing and binding it
            port = _free_port()
            candidate = Cluster(f"postgresql://postgres@127.0.0.1:{port}/postgres",
                                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data)],
                                " ".join([*settings, "-p", str(port)]), log)
            if candidate.start():
                cluster = candidate
                break
        if cluster is None:
            raise PostgresMissing(f"the throwaway PostgreSQL did not start: {log.read_text()[-500:]}")
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(home, ignore_errors=True)


def _as_url(info: dict) -> str:
    """Connection parameters as a postgresql:// URL (the form the progress_db_url setting takes)."""
    info = {k: str(v) for k, v in info.items()}
    user = quote(info.pop("user", ""), safe="")
    password = info.pop("password", None)
    login = f"{user}:{quote(password, safe='')}@" if password is not None else (f"{user}@" if user else "")
    host, port = info.pop("host", "127.0.0.1"), info.pop("port", "5432")
    db = quote(info.pop("dbname", ""), safe="")
    query = f"?{urlencode(info, quote_via=quote)}" if info else ""
    return f"postgresql://{login}{host}:{port}/{db}{query}"


def _with_database(url: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return _as_url(info)


@contextmanager
def _fresh_database(server_url: str) -> Iterator[str]:
    name = f"llm_tutor_test_{secrets.token_hex(4)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def throwaway_database(*, fast: bool = True) -> Iterator[str]:
    """The URL of a new, empty database for one test run (see the module docstring)."""
    given = os.environ.get(ENV_URL, "").strip()
    if given:
        with _fresh_database(given) as url:
            yield url
        return
    with throwaway_cluster(fast=fast) as cluster, _fresh_database(cluster.url) as url:
        yield url


def url_with_schema(url: str, schema: str) -> str:
    """`url` with every table looked up in (and created in) `schema`: one test's private space."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["options"] = f"{info.get('options', '')} -c search_path={schema}".strip()
    return _as_url(info)


_shared: list[str | PostgresMissing] = []
_shared_exits = ExitStack()


def shared_database() -> str:
    """One throwaway database for the whole test process, made on first use and removed when the
    process exits (several test files share it; each test works in a schema of its own)."""
    if not _shared:
        try:
            _shared.append(_shared_exits.enter_context(throwaway_database()))
            atexit.register(_shared_exits.close)
        except PostgresMissing as err:
            _shared.append(err)  # said once, not retried by every test
    if isinstance(_shared[0], PostgresMissing):
        raise _shared[0]
    return _shared[0]


def new_schema_url(database_url: str) -> str:
    """The URL of a new, empty schema in the database: one test's private place."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return url_with_schema(database_url, schema)
