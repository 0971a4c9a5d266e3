"""SQLite databases are readable by their owner only: the file 0600 (its -wal and -shm follow it)
in a folder only the owner may enter (0700), also when an older start made them wider."""
from __future__ import annotations

import stat

from sqlalchemy import text

from libs.common.db import make_engine


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_something(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("create table if not exists t (x int)"))
        conn.execute(text("insert into t values (1)"))
    engine.dispose()


def test_a_new_database_and_its_folder_are_the_owners_alone(tmp_path):
    folder = tmp_path / "var" / "db"
    engine = make_engine(f"sqlite:///{folder}/organisations.sqlite3")
    with engine.begin() as conn:
        conn.execute(text("create table t (x int)"))
        files = sorted(folder.iterdir())
        assert [f.name for f in files][:1] == ["organisations.sqlite3"]
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}  # -wal and -shm too
    engine.dispose()
    assert mode(folder) == 0o700


def test_a_database_made_wider_before_is_narrowed_at_the_next_start(tmp_path):
    folder = tmp_path / "db"
    url = f"sqlite:///{folder}/notifications.sqlite3"
    write_something(url)
    folder.chmod(0o755)
    for file in folder.iterdir():
        file.chmod(0o644)
    write_something(url)
    assert mode(folder) == 0o700
    assert {f.name: mode(f) for f in folder.iterdir()} == {f.name: 0o600 for f in folder.iterdir()}
