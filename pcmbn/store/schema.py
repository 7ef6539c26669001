"""The history store's schema, created and migrated by the project, the same on every backend.

Migrations are numbered SQL scripts applied in order inside one transaction each; the applied
version is recorded in `schema_version`. They are written in the SQL that DuckDB and PostgreSQL
both accept (VARCHAR, DOUBLE PRECISION, TIMESTAMPTZ, `CREATE SEQUENCE … START 1` with
`DEFAULT nextval(…)`), so one list serves both; check a new one against both (the store's
contract tests do). Add a migration by appending to `MIGRATIONS`; never change what a shipped one
creates (spelling `DOUBLE` as `DOUBLE PRECISION` in DuckDB is the same type).
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,         -- deterministic: plan, period, units and input hashes
        plan_id VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        units VARCHAR,                      -- comma-separated filter of a rerun, NULL for all
        started_at TIMESTAMPTZ NOT NULL,
        files INTEGER NOT NULL
    );
    CREATE TABLE archive (                  -- the archive manifest: one row per distinct file
        sha256 VARCHAR PRIMARY KEY,
        archive_path VARCHAR NOT NULL,
        size BIGINT NOT NULL,
        original_name VARCHAR NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        result VARCHAR NOT NULL             -- accepted | rejected | other_period | ignored
    );
    CREATE TABLE submissions (
        sha256 VARCHAR PRIMARY KEY,
        run_id VARCHAR NOT NULL,
        plan_id VARCHAR,
        period VARCHAR,
        unit_code VARCHAR,
        received_at TIMESTAMPTZ NOT NULL,
        original_name VARCHAR NOT NULL,
        status VARCHAR NOT NULL,            -- accepted | rejected | other_period
        superseded_by VARCHAR               -- sha256 of the newer accepted submission
    );
    CREATE TABLE submission_values (
        sha256 VARCHAR NOT NULL,
        indicator VARCHAR NOT NULL,
        period_value DOUBLE PRECISION,
        cumulative DOUBLE PRECISION,
        sheet VARCHAR,
        period_cell VARCHAR,
        cumulative_cell VARCHAR,
        PRIMARY KEY (sha256, indicator)
    );
    CREATE TABLE problems (
        sha256 VARCHAR NOT NULL,
        seq INTEGER NOT NULL,
        severity VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        sheet VARCHAR,
        cell VARCHAR,
        message VARCHAR NOT NULL,
        PRIMARY KEY (sha256, seq)
    );
    CREATE TABLE task_statuses (
        sha256 VARCHAR NOT NULL,
        task_code VARCHAR NOT NULL,
        status VARCHAR,
        result VARCHAR,
        difficulty VARCHAR,
        cell VARCHAR,
        PRIMARY KEY (sha256, task_code)
    );
    CREATE TABLE narratives (
        sha256 VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,              -- difficulties | proposals
        text VARCHAR,
        sheet VARCHAR,
        cell VARCHAR,
        PRIMARY KEY (sha256, kind)
    );
    """,
    # 2: approval and period locking, and the append-only audit log
    """
    CREATE TABLE approvals (
        approval_id VARCHAR PRIMARY KEY,
        plan_id VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        approved_by VARCHAR NOT NULL,
        approved_at TIMESTAMPTZ NOT NULL,
        note VARCHAR,
        totals VARCHAR NOT NULL,            -- JSON: the frozen provincial totals
        summary_sha256 VARCHAR,             -- checksum of the summary workbook approved
        submissions VARCHAR NOT NULL,       -- comma-separated sha256 of the frozen submissions
        reopened_at TIMESTAMPTZ,
        reopened_by VARCHAR,
        reopen_reason VARCHAR
    );
    CREATE SEQUENCE audit_seq START 1;
    CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
        logged_at TIMESTAMPTZ NOT NULL,
        actor VARCHAR NOT NULL,
        action VARCHAR NOT NULL,            -- run | approve | reopen | remind
        plan_id VARCHAR NOT NULL,
        period VARCHAR,
        detail VARCHAR
    );
    """,
    # 3: conference packets built, with the checksum of their zip
    """
    CREATE TABLE packets (
        sha256 VARCHAR NOT NULL,            -- checksum of the zip
        plan_id VARCHAR NOT NULL,
        milestone VARCHAR NOT NULL,         -- so_ket | tong_ket
        span_start VARCHAR NOT NULL,
        span_end VARCHAR NOT NULL,
        zip_path VARCHAR NOT NULL,
        archive_url VARCHAR NOT NULL,
        built_at TIMESTAMPTZ NOT NULL,
        built_by VARCHAR NOT NULL,
        missing_periods VARCHAR,
        unapproved_periods VARCHAR
    );
    """,
    # 4: what units delivered to the office (pcmbn.submissions): receipts and held files
    """
    CREATE SEQUENCE receipt_seq START 1;
    CREATE TABLE receipts (
        receipt_id VARCHAR PRIMARY KEY,     -- số biên nhận, e.g. BN-202608-000123
        number BIGINT NOT NULL,             -- its receipt_seq value: the order receipts were made
        plan_id VARCHAR NOT NULL,
        period VARCHAR NOT NULL,
        unit_code VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        size BIGINT NOT NULL,
        original_name VARCHAR NOT NULL,
        inbox_name VARCHAR NOT NULL,        -- the file's name in the period's inbox folder
        archive_path VARCHAR NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        channel VARCHAR NOT NULL,           -- portal | email | folder
        sender VARCHAR NOT NULL,            -- portal username or e-mail address
        status VARCHAR NOT NULL,            -- received | returned | superseded
        explanation VARCHAR,
        reference VARCHAR,                  -- mail: Message-ID
        return_reason VARCHAR,
        returned_at TIMESTAMPTZ,
        returned_by VARCHAR
    );
    CREATE SEQUENCE held_seq START 1;
    CREATE TABLE held_items (
        held_id VARCHAR PRIMARY KEY,        -- e.g. TG-000007
        received_at TIMESTAMPTZ NOT NULL,
        sender VARCHAR NOT NULL,
        filename VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        size BIGINT NOT NULL,
        archive_path VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,            -- unknown_sender | unit_mismatch
        message VARCHAR NOT NULL,
        reference VARCHAR,
        plan_id VARCHAR,
        period VARCHAR,
        unit_code VARCHAR,
        state VARCHAR NOT NULL,             -- held | assigned | discarded
        decided_at TIMESTAMPTZ,
        decided_by VARCHAR,
        decision VARCHAR                    -- the receipt id (assigned) or the reason (discarded)
    );
    """,
    # 5: the portal's accounts and sign-in sessions (issue 14; the lead renumbers on merge)
    """
    CREATE TABLE accounts (
        username VARCHAR PRIMARY KEY,
        role VARCHAR NOT NULL,              -- unit_specialist | unit_leader | officer
        unit_code VARCHAR,                  -- NULL for officers
        plan_id VARCHAR,                    -- the plan a unit account belongs to
        password_hash VARCHAR NOT NULL,     -- argon2id
        must_change BOOLEAN NOT NULL,       -- a one-time password not yet changed
        failed_count INTEGER NOT NULL,      -- consecutive failed sign-ins
        locked_until TIMESTAMPTZ,
        created_at TIMESTAMPTZ NOT NULL,
        rotated_at TIMESTAMPTZ NOT NULL
    );
    CREATE TABLE portal_sessions (
        token_hash VARCHAR PRIMARY KEY,     -- sha256 of the token (the token is never stored)
        username VARCHAR NOT NULL,
        csrf VARCHAR NOT NULL,              -- the session's CSRF secret
        created_at TIMESTAMPTZ NOT NULL,
        last_seen TIMESTAMPTZ NOT NULL
    );
    """,
)
