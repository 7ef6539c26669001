"""Prefect keeps its home (its database of flow runs) under `PCMBN_HOME`, not in `~/.prefect`."""

from __future__ import annotations

from pathlib import Path

from pcmbn.settings import Settings, prefect_environment


def test_prefect_home_goes_under_the_home_folder(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    user = tmp_path / "user"
    assert prefect_environment(settings, {}, user_home=user) == {
        "PREFECT_HOME": str(tmp_path / "home" / "prefect")
    }


def test_settings_saved_with_prefect_config_still_apply(tmp_path: Path) -> None:
    profiles = tmp_path / "user" / ".prefect" / "profiles.toml"
    profiles.parent.mkdir(parents=True)
    profiles.write_text('active = "local"\n', encoding="utf-8")
    updates = prefect_environment(Settings(home=tmp_path), {}, user_home=tmp_path / "user")
    assert updates["PREFECT_PROFILES_PATH"] == str(profiles)
    mine = str(tmp_path / "mine.toml")
    updates = prefect_environment(
        Settings(home=tmp_path), {"PREFECT_PROFILES_PATH": mine}, user_home=tmp_path / "user"
    )
    assert "PREFECT_PROFILES_PATH" not in updates


def test_a_prefect_home_or_server_the_user_named_is_left_alone(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert prefect_environment(settings, {"PREFECT_HOME": "/srv/prefect"}) == {}
    assert prefect_environment(settings, {"PREFECT_API_URL": "http://may-chu:4200/api"}) == {}
