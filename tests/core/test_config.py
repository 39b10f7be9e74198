"""Settings: every variable of the contract, and bad values named at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfspace.config import SettingsError, load_settings


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOST", "PORT", "DATA_DIR", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "BOOTSTRAP_KEY"):
        monkeypatch.delenv(f"SHELFSPACE_{name}", raising=False)
    settings = load_settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.sqlalchemy_url().get_backend_name() == "sqlite"
    assert settings.sqlalchemy_url().database == str((Path("data") / "shelfspace.db").resolve())
    assert settings.base_url() == "http://127.0.0.1:8000"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHELFSPACE_PORT", "9100")
    monkeypatch.setenv("SHELFSPACE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SHELFSPACE_DATABASE_URL", "postgresql://postgres@127.0.0.1/shop")
    monkeypatch.setenv("SHELFSPACE_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SHELFSPACE_PUBLIC_URL", "https://ads.shop.example/")
    monkeypatch.setenv("SHELFSPACE_BOOTSTRAP_KEY", "k" * 32)
    settings = load_settings()
    assert settings.port == 9100 and settings.data_dir == tmp_path
    assert settings.sqlalchemy_url().drivername == "postgresql+psycopg"
    assert settings.base_url() == "https://ads.shop.example"
    assert settings.bootstrap_key is not None and settings.bootstrap_key.get_secret_value() == "k" * 32


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SHELFSPACE_PORT", "eighty"),
        ("SHELFSPACE_PORT", "70000"),
        ("SHELFSPACE_DATABASE_URL", "mysql://root@localhost/db"),
        ("SHELFSPACE_DATABASE_URL", "not a url"),
        ("SHELFSPACE_REDIS_URL", "http://127.0.0.1:6379"),
        ("SHELFSPACE_PUBLIC_URL", "ads.example"),
        ("SHELFSPACE_BOOTSTRAP_KEY", "short"),
        ("SHELFSPACE_TIMEZONE", "Mars/Olympus"),
    ],
)
def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert variable in str(caught.value)
