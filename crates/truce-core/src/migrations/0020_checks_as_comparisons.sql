-- v20: every CHECK (column IN (...)) becomes comparisons, which SQLite checks without building a
-- temporary index of the list each time a statement runs. A CHECK does not change how rows are
-- stored, so the tables' definitions are edited in place by the Rust step
-- (`migrations::checks`), not copied.
SELECT 1;
