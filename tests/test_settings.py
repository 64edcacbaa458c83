"""Settings: read from FRONTDESK_* variables; a bad one stops start-up with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.app import create_app
from frontdesk.settings import SettingsError, load

GOOD_KEY = "k" * 40
OLD_KEY = "o" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("FRONTDESK_"):
            monkeypatch.delenv(name)


def test_keys_are_a_comma_separated_list_newest_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", f"{GOOD_KEY}, {OLD_KEY}")
    assert load().secret_key == (GOOD_KEY, OLD_KEY)


def test_production_without_a_key_names_the_variable() -> None:
    with pytest.raises(SettingsError) as caught:
        load()
    assert str(caught.value).startswith("FRONTDESK_SECRET_KEY is missing")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FRONTDESK_SECRET_KEY", "short", "FRONTDESK_SECRET_KEY: each key must be at least 32"),
        ("FRONTDESK_SECRET_KEY", "changeme", "FRONTDESK_SECRET_KEY: is a placeholder"),
        ("FRONTDESK_DATABASE_URL", "mysql://x", "FRONTDESK_DATABASE_URL: must start with"),
        ("FRONTDESK_BASE_URL", "portal.example.com", "FRONTDESK_BASE_URL: must be an absolute"),
        ("FRONTDESK_SMTP_URL", "mail.example.com", "FRONTDESK_SMTP_URL: must start with"),
        ("FRONTDESK_ENVIRONMENT", "staging", "FRONTDESK_ENVIRONMENT: Input should be"),
        ("FRONTDESK_RUN_JOBS", "perhaps", "FRONTDESK_RUN_JOBS: Input should be a valid boolean"),
    ],
)
def test_malformed_settings_name_themselves(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load()
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_database_defaults_to_sqlite_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    assert load().resolved_database_url == f"sqlite:///{tmp_path / 'frontdesk.db'}"


def test_postgres_urls_use_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", "postgresql://app@db.internal/frontdesk")
    assert load().resolved_database_url == "postgresql+psycopg://app@db.internal/frontdesk"


@pytest.mark.parametrize(
    ("database", "view_threads", "drawing"),
    [
        ("", None, 1),  # SQLite, the default: views are drawn one at a time
        ("postgresql://app@db.internal/frontdesk", None, 6),  # as many as the other work
        ("", "3", 3),
    ],
)
def test_views_are_drawn_by_their_own_threads(
    monkeypatch: pytest.MonkeyPatch, database: str, view_threads: str | None, drawing: int
) -> None:
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("FRONTDESK_THREADS", "6")
    if database:
        monkeypatch.setenv("FRONTDESK_DATABASE_URL", database)
    if view_threads:
        monkeypatch.setenv("FRONTDESK_VIEW_THREADS", view_threads)
    assert load().drawing_threads == drawing


@pytest.mark.parametrize(
    ("database", "connections"),
    [
        ("", 12 + 1 + 2),  # SQLite: one view thread
        ("postgresql://app@db.internal/frontdesk", 12 + 12 + 2),
    ],
)
def test_a_process_keeps_a_connection_for_each_thread_that_may_hold_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database: str, connections: int
) -> None:
    """More threads than the pool's default five (and its ten spare) would wait on the pool,
    then fail, while the database had room."""
    monkeypatch.setenv("FRONTDESK_SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("FRONTDESK_THREADS", "12")
    monkeypatch.setenv("FRONTDESK_DATABASE_URL", database or f"sqlite:///{tmp_path / 'app.db'}")
    settings = load(data_dir=tmp_path)
    assert settings.connections == connections
    if not database:
        app = create_app(settings)
        assert app.state.db.engine.pool.size() == connections
        app.state.db.dispose()
