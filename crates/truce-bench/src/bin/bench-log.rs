//! What recording a row costs: 100,000 inserts and 100,000 updates of one table, with the
//! recording triggers, with variants of them, and without. (`cargo build --release -p
//! truce-bench && target/release/bench-log`)

use std::time::Instant;

use truce_core::Workspace;

fn run(label: &str, setup: &str, n: usize) {
    let dir = std::env::temp_dir().join(format!("truce-bench-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut ws = Workspace::open(dir.join("w.truce")).unwrap();
    ws.conn().execute_batch(setup).unwrap();
    let tx = ws.write_tx().unwrap();
    tx.execute(
        "INSERT INTO assets (id, name, created_at, updated_at) VALUES ('a', 'a', 't', 't')",
        [],
    )
    .unwrap();
    let t0 = Instant::now();
    {
        let mut put = tx
            .prepare("INSERT INTO asset_tags (asset_id, tag) VALUES ('a', ?1)")
            .unwrap();
        for i in 0..n {
            put.execute([format!("tag-{i:08}")]).unwrap();
        }
    }
    let inserts = t0.elapsed();
    let t1 = Instant::now();
    {
        let mut set = tx
            .prepare("UPDATE assets SET updated_at = ?1 WHERE id = 'a'")
            .unwrap();
        for i in 0..n {
            set.execute([format!("t{i}")]).unwrap();
        }
    }
    let updates = t1.elapsed();
    tx.commit().unwrap();
    drop(ws);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{label:<40} {:>6.2} µs/insert {:>6.2} µs/update",
        inserts.as_secs_f64() * 1e6 / n as f64,
        updates.as_secs_f64() * 1e6 / n as f64
    );
}

fn main() {
    let n = 100_000;
    run("recording triggers", "", n);
    run(
        "no triggers",
        "DROP TRIGGER record_asset_tags_insert; DROP TRIGGER record_assets_update;",
        n,
    );
    let constants = "DROP TRIGGER record_asset_tags_insert;
        CREATE TRIGGER record_asset_tags_insert AFTER INSERT ON asset_tags BEGIN
          INSERT INTO change_log (entity, entity_id, field, old_value, new_value, actor, device, hlc, at, reason)
          VALUES ('asset_tag', json_array(NEW.asset_id, NEW.tag), 'created', NULL, json_array(NEW.asset_id, NEW.tag),
                  'actor', 'device', 1, 'at', NULL);
        END;";
    run("trigger without functions", constants, n);
    let one_fn = "DROP TRIGGER record_asset_tags_insert;
        CREATE TRIGGER record_asset_tags_insert AFTER INSERT ON asset_tags BEGIN
          INSERT INTO change_log (entity, entity_id, field, old_value, new_value, actor, device, hlc, at, reason)
          VALUES ('asset_tag', json_array(NEW.asset_id, NEW.tag), 'created', NULL, json_array(NEW.asset_id, NEW.tag),
                  'actor', 'device', truce_hlc(), 'at', NULL);
        END;";
    run("trigger with truce_hlc() only", one_fn, n);
    run(
        "recursive_triggers off",
        "PRAGMA recursive_triggers = OFF;",
        n,
    );
    run("temp_store = MEMORY", "PRAGMA temp_store = MEMORY;", n);
    run("no triggers, temp_store = MEMORY", "PRAGMA temp_store = MEMORY; DROP TRIGGER record_asset_tags_insert; DROP TRIGGER record_assets_update;", n);
    let plain = "DROP TRIGGER record_asset_tags_insert;
        CREATE TABLE plain_log (seq INTEGER PRIMARY KEY, entity TEXT, entity_id TEXT, value);
        CREATE TRIGGER record_asset_tags_insert AFTER INSERT ON asset_tags BEGIN
          INSERT INTO plain_log (entity, entity_id, value) VALUES ('asset_tag', NEW.tag, NEW.tag);
        END;";
    run("trigger into a plain table", plain, n);
    let noindex = "DROP INDEX change_log_by_entity;";
    run("change_log without its index", noindex, n);
    let nostats = "DROP TRIGGER IF EXISTS work_item_stats_asset;";
    run("without the stats trigger on assets", nostats, n);
}
