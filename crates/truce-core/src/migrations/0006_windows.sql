-- Change windows as the calendar module needs them: scope by asset tags and teams, a description,
-- and where an imported window came from, so importing the same calendar again updates instead of
-- duplicating.

ALTER TABLE change_windows ADD COLUMN description TEXT;
ALTER TABLE change_windows ADD COLUMN asset_tags TEXT;          -- JSON array; NULL = all
ALTER TABLE change_windows ADD COLUMN teams TEXT;               -- JSON array of team ids; NULL = all
ALTER TABLE change_windows ADD COLUMN exrule TEXT;              -- RFC 5545 EXRULE (deprecated, still exported by some tools)
ALTER TABLE change_windows ADD COLUMN source TEXT;              -- iCalendar file name or URL
ALTER TABLE change_windows ADD COLUMN source_recurrence_id TEXT; -- RECURRENCE-ID of an override ('' for a series)
ALTER TABLE change_windows ADD COLUMN source_sequence INTEGER;  -- last SEQUENCE seen
ALTER TABLE change_windows ADD COLUMN source_modified TEXT;     -- last LAST-MODIFIED (or DTSTAMP) seen
ALTER TABLE change_windows ADD COLUMN source_hash TEXT;         -- what the event said, to tell "unchanged"

CREATE UNIQUE INDEX change_windows_by_source
    ON change_windows(source, source_uid, source_recurrence_id) WHERE source IS NOT NULL;
CREATE INDEX commitments_by_window ON commitments(window_id, occurrence_start);
