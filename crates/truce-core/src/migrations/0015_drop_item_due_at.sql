-- work_items.due_at was never written: an item's due date is its findings' earliest SLA due time,
-- kept in work_item_stats.due_at. A column that always reads NULL is a trap for the next reader.
ALTER TABLE work_items DROP COLUMN due_at;
