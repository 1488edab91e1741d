//! A server that answers a byte at a time passes every read timeout; the whole transfer is what
//! is bounded (issue 18). Loopback only, with a bounded loop.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

#[test]
fn a_body_sent_a_byte_at_a_time_is_cut_off_at_the_transfer_limit() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = s.read(&mut request);
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 1000\r\n\r\n",
        );
        // A byte every 100 ms: every read is quick, the whole would take 100 s.
        for _ in 0..1000 {
            if s.write_all(b"B").and_then(|_| s.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
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
