//! A server that answers a byte at a time passes every read timeout; the whole transfer is what
//! is bounded (issue 18). Loopback only, with a bounded loop.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

#[test]
fn a_body_sent_a_byte_at_a_time_is_cut_off_at_the_transfer_limit() {
    // A byte every 100 ms: every read is quick, the whole would take 100 s.
    let port = serve_once(
        "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 1000\r\n\r\n".into(),
        vec![b'B'; 1000],
        1000,
        Duration::from_millis(100),
        Duration::ZERO,
    );
    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/slow.ics");
    let e = truce_net::fetch_within(&url, 1 << 20, Duration::from_secs(2)).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.url, url);
    assert!(e.problem.contains("took longer than 2 s"), "{e}");
}

/// A loopback server that answers one request with `head`, then `body` in `pieces` parts a
/// pause apart, then waits `linger` before closing.
fn serve_once(
    head: String,
    body: Vec<u8>,
    pieces: usize,
    pause: Duration,
    linger: Duration,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = s.read(&mut request);
        let _ = s.write_all(head.as_bytes()).and_then(|_| s.flush());
        for part in body.chunks(body.len().div_ceil(pieces.max(1)).max(1)) {
            std::thread::sleep(pause);
            if s.write_all(part).and_then(|_| s.flush()).is_err() {
                return;
            }
        }
        std::thread::sleep(linger);
    });
    port
}

#[test]
fn progress_is_reported_as_the_pieces_arrive_with_the_announced_size() {
    let body: Vec<u8> = (0..200_000u32).map(|i| b'A' + (i % 26) as u8).collect();
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let port = serve_once(
        head,
        body.clone(),
        4,
        Duration::from_millis(150),
        Duration::ZERO,
    );
    let seen = std::sync::Mutex::new(Vec::new());
    let never = std::sync::atomic::AtomicBool::new(false);
    let got = truce_net::fetch_watched(
        &format!("http://127.0.0.1:{port}/feed.ics"),
        1 << 20,
        Duration::from_secs(10),
        &truce_net::Watch {
            progress: &|p| seen.lock().unwrap().push(p),
            cancel: &never,
        },
    )
    .unwrap();
    assert_eq!(got, body);
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 4, "one report per piece at least: {seen:?}");
    assert!(seen.iter().all(|p| p.total == Some(200_000)), "{seen:?}");
    assert!(
        seen.windows(2).all(|w| w[0].received <= w[1].received),
        "{seen:?}"
    );
    assert_eq!(seen.last().unwrap().received, 200_000);
    assert!(
        seen.iter().any(|p| p.received > 0 && p.received < 200_000),
        "{seen:?}"
    );
}

#[test]
fn a_cancelled_transfer_ends_at_once_even_when_the_server_says_nothing() {
    // Headers, then silence for 30 s: every read blocks.
    let port = serve_once(
        "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".into(),
        Vec::new(),
        0,
        Duration::ZERO,
        Duration::from_secs(30),
    );
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    let url = format!("http://127.0.0.1:{port}/silent.ics");
    let e = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        truce_net::fetch_watched(
            &url,
            1 << 20,
            Duration::from_secs(20),
            &truce_net::Watch {
                progress: &|_| {},
                cancel: &cancel,
            },
        )
        .unwrap_err()
    });
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(e.cancelled, "{e}");
    assert_eq!(e.url, url);
    assert!(e.problem.starts_with("cancelled"), "{e}");
}
