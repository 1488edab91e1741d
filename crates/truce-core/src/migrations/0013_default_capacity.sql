-- v13: how many items an occurrence of a window with no limit of its own takes. Without it the
-- auto-plan put 61 items into one six-hour window. NULL: no limit.
CREATE TABLE window_defaults (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    max_items INTEGER CHECK (max_items IS NULL OR max_items > 0)
);
INSERT INTO window_defaults (only_row, max_items) VALUES (1, 10);
