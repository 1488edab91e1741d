-- v24: the change log by device and clock. Opening a workspace reads the last clock this device
-- gave out (`Ctx::resume`); without this it scanned the whole log, 0.3 s on a workspace of a
-- million findings, at every open. Rows of one device are appended in clock order, so the index
-- grows at its right edge.
CREATE INDEX change_log_by_device ON change_log (device, hlc);
