//! Webhook acknowledgements per second, the way `wrk` measures them: C keep-alive clients, each
//! posting notifications with fresh payment ids back to back for a fixed time, against the real
//! binary. Then the memory and /healthz latency with 300 idle connections open.
//! Run: `cargo bench --bench webhook` (BENCH_WEBHOOK_SECS: seconds per round, default 10).

mod support;

#[path = "../tests/common/mod.rs"]
mod common;

use common::fake_yookassa::{FakeYooKassa, TEST_KEY};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use support::{pct, rss};

/// One keep-alive connection: sends a request, reads exactly one response.
struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Client {
            reader: BufReader::new(stream),
        }
    }

    fn request(&mut self, head: &str, body: &str) -> u16 {
        let req = format!(
            "{head}\r\nHost: bench\r\nX-Forwarded-For: 185.71.76.10\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.reader
            .get_mut()
            .write_all(req.as_bytes())
            .expect("send");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("body");
        status
    }
}

fn round(addr: SocketAddr, clients: usize, secs: u64, tag: usize) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                let mut lat = Vec::new();
                let mut i = 0u64;
                while Instant::now() < deadline {
                    // Fresh ids, so each one is a new row to record (and a new API question).
                    let id = format!("{tag:04x}{c:04x}-0000-5000-a000-{i:012x}");
                    let body = format!(
                        r#"{{"type":"notification","event":"payment.succeeded","object":{{"id":"{id}","status":"succeeded","test":true}}}}"#
                    );
                    let t0 = Instant::now();
                    let status = client.request("POST /yookassa/webhook HTTP/1.1", &body);
                    assert_eq!(status, 200, "a notification was not acknowledged");
                    lat.push(t0.elapsed());
                    i += 1;
                }
                lat
            })
        })
        .collect();
    let started = Instant::now();
    let mut lat: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client"))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort();
    println!(
        "{clients:>3} keep-alive clients: {:>6.0} acks/s ({} in {elapsed:.1} s), p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
        lat.len() as f64 / elapsed,
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
}

fn main() {
    let secs: u64 = std::env::var("BENCH_WEBHOOK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = common::Scratch::new("bench-hook");
    let fake = FakeYooKassa::start();
    let mut vars = fake.listener_vars(TEST_KEY);
    vars.push(("RUST_LOG", "error".into()));
    let bot = common::bot::listen(&dir, &vars);
    let addr = bot.addr;
    println!("webhook acknowledgements, {secs} s per round, fresh payment ids");
    for (tag, clients) in [32, 256].into_iter().enumerate() {
        round(addr, clients, secs, tag);
    }

    let before = rss(bot.pid());
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(addr).expect("idle connection"))
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    let with_idle = rss(bot.pid());
    let mut health = Vec::new();
    for _ in 0..50 {
        let mut c = Client::connect(addr);
        let t0 = Instant::now();
        assert_eq!(c.request("GET /healthz HTTP/1.1", ""), 200);
        health.push(t0.elapsed());
    }
    health.sort();
    println!(
        "300 idle connections: RSS {before} → {with_idle} KiB; /healthz beside them p50 {:.2} ms, max {:.2} ms",
        pct(&health, 0.5),
        pct(&health, 1.0)
    );
    drop(idle);
}
