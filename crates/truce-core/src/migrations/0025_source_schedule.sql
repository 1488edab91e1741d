-- v25: how often the app syncs a source while it is open (`every_hours`; none: only when asked),
-- and when a sync was last tried (`last_tried_at`, whatever its end): a scheduled sync that
-- failed, say for want of a network, is tried again an hour later, not at once and not never.
-- This laptop's own configuration, like the rest of `sources`: never shared.
ALTER TABLE sources ADD COLUMN every_hours INTEGER CHECK (every_hours IS NULL OR every_hours BETWEEN 1 AND 168);
ALTER TABLE sources ADD COLUMN last_tried_at TEXT;
