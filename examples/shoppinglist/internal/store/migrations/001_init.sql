-- The shopping list's schema. Written once for SQLite and PostgreSQL: text
-- ids (UUIDs), times as fixed-width RFC 3339 UTC text (they sort as they
-- compare), booleans as 0/1 integers.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    avatar_url    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);

CREATE TABLE lists (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner_id    TEXT NOT NULL REFERENCES users(id),
    seq         BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE members (
    list_id    TEXT NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id),
    permission TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (list_id, user_id)
);
CREATE INDEX members_by_user ON members(user_id);

CREATE TABLE items (
    id           TEXT PRIMARY KEY,
    list_id      TEXT NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    quantity     DOUBLE PRECISION NOT NULL DEFAULT 1,
    unit         TEXT NOT NULL DEFAULT '',
    category_id  TEXT,
    notes        TEXT NOT NULL DEFAULT '',
    image_url    TEXT NOT NULL DEFAULT '',
    is_purchased INTEGER NOT NULL DEFAULT 0,
    purchased_by TEXT,
    purchased_at TEXT,
    position     BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX items_by_list ON items(list_id, position);

-- The outbox: every list event, written in the transaction of its change
-- with the list's next seq. sent = 1 once the dispatcher has published it;
-- the last events of each list are kept for JoinList(listId, afterSeq).
-- revoke names the users (JSON array) whose connections leave the list's
-- group after the event. No foreign key: a list's ListDeleted outlives it.
CREATE TABLE events (
    list_id    TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    revoke     TEXT NOT NULL DEFAULT '',
    sent       INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (list_id, seq)
);
CREATE INDEX events_unsent ON events(sent, list_id, seq);
