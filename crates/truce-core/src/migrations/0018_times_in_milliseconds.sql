-- v18: every stored instant in one precision, milliseconds ('2026-12-01T21:00:00.000Z'), so that
-- text order is time order. The rewrite is the migration's Rust step
-- (`migrations::times_in_milliseconds`), over the columns `migrations::INSTANTS` names.
SELECT 1;
