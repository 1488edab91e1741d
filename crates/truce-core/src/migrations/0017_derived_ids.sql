-- v17: ids that mean the same on every laptop. The workspace gets a namespace (a random UUID,
-- made once; a hub's copies share it), and the migration's Rust step (`migrations::derive_ids`)
-- rewrites the ids of scanner facts as UUIDv5 of their natural keys in it, with every reference:
-- vulnerabilities (scanner, scanner id), assets (their first key when made), findings (asset,
-- vulnerability, place). Rows people make keep their UUIDv7.
CREATE TABLE workspace (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    id       TEXT NOT NULL
);
INSERT INTO workspace (only_row, id) VALUES (1, lower(printf('%s-%s-4%s-%s%s-%s',
    hex(randomblob(4)), hex(randomblob(2)), substr(hex(randomblob(2)), 2),
    substr('89ab', 1 + abs(random()) % 4, 1), substr(hex(randomblob(2)), 2), hex(randomblob(6)))));
