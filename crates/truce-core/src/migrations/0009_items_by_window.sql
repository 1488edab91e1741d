-- A drop check counts the items on each occurrence up to a due date: with the window and id in
-- the occurrence index, the count reads the index alone, not a table row per item.
DROP INDEX work_items_by_occurrence;
CREATE INDEX work_items_by_occurrence ON work_items(occurrence_start, window_id, id);
-- Whether a window is in use (delete, calendar re-sync, moving a series) and ON DELETE SET NULL
-- find a window's items without reading the whole table.
CREATE INDEX work_items_by_window ON work_items(window_id);
