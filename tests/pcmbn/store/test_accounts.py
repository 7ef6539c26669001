"""The portal's accounts and sessions behave the same on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pcmbn.store.base import Store

NOW = datetime(2026, 8, 20, 3, 0, tzinfo=UTC)


def _account(username: str, **changes: object) -> dict[str, object]:
    row = {
        "username": username,
        "role": "unit_specialist",
        "unit_code": "CA_TINH",
        "plan_id": "P",
        "password_hash": "$argon2id$x",
        "must_change": True,
        "failed_count": 0,
        "locked_until": None,
        "created_at": NOW,
        "rotated_at": NOW,
    }
    return {**row, **changes}


def test_accounts_are_created_rotated_and_updated(store: Store) -> None:
    store.put_account(_account("b@p"))
    store.put_account(_account("a@p", plan_id="Q"))
    assert [a["username"] for a in store.accounts()] == ["a@p", "b@p"]
    assert [a["username"] for a in store.accounts("P")] == ["b@p"]
    store.update_account("b@p", {"failed_count": 3, "locked_until": NOW + timedelta(minutes=15)})
    row = store.account("b@p")
    assert row is not None and row["failed_count"] == 3 and row["must_change"] is True
    assert row["locked_until"] == NOW + timedelta(minutes=15)
    with pytest.raises(ValueError, match="not an account column"):
        store.update_account("b@p", {"username": "x"})
    store.create_session(
        {"token_hash": "t1", "username": "b@p", "csrf": "c", "created_at": NOW, "last_seen": NOW}
    )
    store.put_account(_account("b@p", password_hash="$argon2id$y"))  # rotation ends sessions
    assert store.portal_session("t1") is None
    assert store.account("b@p")["password_hash"] == "$argon2id$y"  # type: ignore[index]
    assert store.account("nobody") is None


def test_sessions_are_touched_and_ended(store: Store) -> None:
    for token in ("t1", "t2"):
        store.create_session(
            {
                "token_hash": token,
                "username": "a@p",
                "csrf": "c",
                "created_at": NOW,
                "last_seen": NOW,
            }
        )
    store.touch_session("t1", NOW + timedelta(minutes=5))
    assert store.portal_session("t1")["last_seen"] == NOW + timedelta(minutes=5)  # type: ignore[index]
    store.end_session("t1")
    assert store.portal_session("t1") is None and store.portal_session("t2") is not None
    store.end_sessions("a@p")
    assert store.portal_session("t2") is None
