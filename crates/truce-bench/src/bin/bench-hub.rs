//! The team hub under load: `bench-hub --database URL [--devices 50] [--batch 20] [--rate 5000]
//! [--seconds 10]`. The hub runs in this process on loopback; each device pushes a batch of new
//! operations at its share of `--rate` (operations a second, all devices together), over HTTP, as a
//! laptop would; the latency of every push is kept. Then the same devices push as fast as they
//! can, for the hub's ceiling. Start a database with `scripts/hub-postgres.sh start`.

use std::time::{Duration, Instant};

use serde_json::json;
use truce_sync::Op;

struct Args {
    database: String,
    devices: usize,
    batch: usize,
    rate: f64,
    seconds: u64,
}

fn args() -> Args {
    let mut a = Args {
        database: String::new(),
        devices: 50,
        batch: 20,
        rate: 5_000.0,
        seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--database" => a.database = value,
            "--devices" => a.devices = value.parse().unwrap(),
            "--batch" => a.batch = value.parse().unwrap(),
            "--rate" => a.rate = value.parse().unwrap(),
            "--seconds" => a.seconds = value.parse().unwrap(),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        !a.database.is_empty(),
        "--database postgres://… is required"
    );
    a
}

fn batch(device: usize, first: i64, size: usize) -> Vec<Op> {
    (0..size as i64)
        .map(|i| Op {
            device: format!("bench-device-{device}"),
            hlc: (first + i) << 16,
            actor: "person-bench".into(),
            entity: "work_item".into(),
            entity_id: format!("item-{}", (first + i) % 1_000),
            field: "state".into(),
            old_value: json!("proposed"),
            new_value: json!("scheduled"),
            at: "2026-12-05T09:00:00.000Z".into(),
            reason: Some("bench".into()),
        })
        .collect()
}

/// Every device pushes for `seconds`; paced to `every` between batches when given. Answers the
/// operations accepted and every push's latency.
async fn run(
    base: &str,
    pool: &truce_hub::Pool,
    workspace: &str,
    a: &Args,
    every: Option<Duration>,
) -> (u64, Vec<Duration>, Duration) {
    // Each device with a token of its own, as the hub's admin issues them.
    let mut tokens = Vec::new();
    for device in 0..a.devices {
        let name = format!("bench-device-{device}");
        let token = truce_hub::devices::issue(pool, workspace, &name, "bench", "ops").await;
        tokens.push(token.unwrap());
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(a.seconds);
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for device in 0..a.devices {
        let (client, size, devices) = (client.clone(), a.batch, a.devices);
        let token = tokens[device].clone();
        let url = format!("{base}/v1/workspaces/{workspace}/ops");
        tasks.push(tokio::spawn(async move {
            let (mut accepted, mut latencies, mut next) = (0u64, Vec::new(), 1i64);
            // Devices start spread over one period, as laptops do.
            if let Some(every) = every {
                tokio::time::sleep(every.mul_f64(device as f64 / devices as f64)).await;
            }
            let mut due = Instant::now();
            while Instant::now() < until {
                let ops = batch(device, next, size);
                next += size as i64;
                let sent = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "ops": ops }))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                let pushed: truce_sync::Pushed = r.json().await.unwrap();
                latencies.push(sent.elapsed());
                accepted += pushed.accepted;
                if let Some(every) = every {
                    due += every;
                    tokio::time::sleep_until(due.into()).await;
                }
            }
            (accepted, latencies)
        }));
    }
    let (mut accepted, mut latencies) = (0, Vec::new());
    for t in tasks {
        let (a, l) = t.await.unwrap();
        accepted += a;
        latencies.extend(l);
    }
    (accepted, latencies, started.elapsed())
}

fn report(what: &str, accepted: u64, mut latencies: Vec<Duration>, took: Duration) {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "{what}: {accepted} ops in {:.1} s = {:.0} ops/s; {} pushes, latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        took.as_secs_f64(),
        accepted as f64 / took.as_secs_f64(),
        latencies.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    let pool = truce_hub::pool(&a.database).unwrap();
    truce_hub::schema::migrate(&pool).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(truce_hub::serve(listener, pool.clone()));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    println!(
        "{} devices, batches of {}, hub and PostgreSQL on this machine",
        a.devices, a.batch
    );
    let per_device = a.rate / a.devices as f64;
    let every = Duration::from_secs_f64(a.batch as f64 / per_device);
    let (n, l, took) = run(&base, &pool, &format!("paced-{stamp}"), &a, Some(every)).await;
    report(&format!("paced at {:.0} ops/s", a.rate), n, l, took);
    let (n, l, took) = run(&base, &pool, &format!("flat-out-{stamp}"), &a, None).await;
    report("as fast as they can", n, l, took);
}
