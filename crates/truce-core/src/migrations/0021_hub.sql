-- v21: this laptop's connection to a team hub, and how far it has synced: the last record of the
-- change log the hub acknowledged, and the hub's cursor. Never shared (`changes::UNRECORDED`).
CREATE TABLE hub (
    only_row   INTEGER PRIMARY KEY CHECK (only_row = 1),
    url        TEXT NOT NULL,
    pushed_seq INTEGER NOT NULL DEFAULT 0,
    pulled_seq INTEGER NOT NULL DEFAULT 0
);
