-- Several nodes may share the database: the node that publishes an event
-- first claims it, and only the lowest unsent event of a list can be
-- claimed, so each list's events go out one at a time, in seq order. A
-- claim older than a few seconds (its node died) can be taken over.
ALTER TABLE events ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN claimed_at TEXT NOT NULL DEFAULT '';
