-- A grouping rule for the hosts' operating system family: one fix on Windows and on Ubuntu hosts
-- is two items, patched with different tools. The CHECK lists the rule names, so the table is
-- made again with the new name allowed; the rule is on, as for new workspaces.
CREATE TABLE grouping_rules_new (
    name   TEXT PRIMARY KEY CHECK (name IN ('by_team','by_environment','by_os_family','include_info')),
    value  TEXT NOT NULL
);
INSERT INTO grouping_rules_new (name, value) SELECT name, value FROM grouping_rules;
INSERT OR IGNORE INTO grouping_rules_new (name, value) VALUES ('by_os_family', '1');
DROP TABLE grouping_rules;
ALTER TABLE grouping_rules_new RENAME TO grouping_rules;
