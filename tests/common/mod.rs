//! Helpers shared by the end-to-end tests: a scratch directory, the real binary with a clean
//! environment, and a tiny HTTP client.
#![allow(dead_code)]

pub mod bot;
pub mod fake_fal;
pub mod fake_telegram;
pub mod fake_yookassa;
pub mod http;
pub mod jobs;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A directory removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "media-lab-test-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn db(&self) -> PathBuf {
        self.0.join("media_lab.db")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // MEDIA_LAB_KEEP_TEST_DIRS keeps the database and logs of every test for a post-mortem.
        if std::env::var_os("MEDIA_LAB_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The real binary, run in `dir` with only the variables a test gives it.
pub fn media_lab(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_media-lab"));
    cmd.env_clear()
        .current_dir(dir)
        .env("DATABASE_URL", dir.join("media_lab.db"))
        .env(
            "RUST_LOG",
            std::env::var("MEDIA_LAB_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null());
    cmd
}

/// Runs the binary with `args` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    media_lab(dir).args(args).output().expect("run media-lab")
}

/// Runs the binary and insists it succeeded; returns stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "media-lab {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// A small real JPEG, as a user's photo.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

/// A valid grayscale PNG of `w`×`h` black pixels that is small on the wire (about 1/160 of its
/// pixel count) and huge once decoded: a decompression bomb. Written by hand, so building one
/// costs the test neither the memory nor the time of its pixels.
pub fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    // The scanlines (a filter byte and `w` zero bytes each) as fixed-Huffman deflate: one literal
    // zero, then copies of 258 bytes at distance 1, the rest as literals.
    let total = u64::from(h) * (u64::from(w) + 1);
    let mut bits = Bits::default();
    bits.put(0b011, 3); // BFINAL, then BTYPE = 01 (fixed codes), LSB first
    let literal_zero = |b: &mut Bits| b.code(0b0011_0000, 8);
    literal_zero(&mut bits);
    let mut left = total - 1;
    while left >= 258 {
        bits.code(0b1100_0101, 8); // length 258 (symbol 285, no extra bits)
        bits.code(0, 5); // distance 1 (code 0)
        left -= 258;
    }
    for _ in 0..left {
        literal_zero(&mut bits);
    }
    bits.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits.finish());
    // Adler-32 of zeros: a stays 1, b grows by 1 per byte.
    let adler = ((total % 65521) as u32) << 16 | 1;
    zlib.extend(adler.to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // 8-bit grayscale, deflate, no filter method, no interlace
    for (kind, data) in [(&b"IHDR"[..], ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        png.extend((data.len() as u32).to_be_bytes());
        let mut chunk = kind.to_vec();
        chunk.extend(&data);
        png.extend(&chunk);
        png.extend(crc32(&chunk).to_be_bytes());
    }
    png
}

#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    /// `n` bits of `v`, least significant first (deflate's header fields).
    fn put(&mut self, v: u64, n: u32) {
        self.acc |= v << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code of `n` bits, most significant first.
    fn code(&mut self, code: u64, n: u32) {
        let reversed = (0..n).fold(0, |r, i| r << 1 | (code >> i) & 1);
        self.put(reversed, n);
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, slot) in table.iter_mut().enumerate() {
        *slot = (0..8).fold(i as u32, |c, _| {
            if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            }
        });
    }
    !data.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// A port that was free a moment ago.
pub fn free_addr() -> SocketAddr {
    // Below Linux's ephemeral range (32768–60999): the kernel never hands these to a `bind(0)`, so
    // a fake server starting in another test thread cannot take the port between this check and
    // the binary's own bind. A counter keeps this process's tests apart.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(37);
    loop {
        let port = 20_000 + start.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000;
        let addr = SocketAddr::from(([127, 0, 0, 1], port as u16));
        if TcpListener::bind(addr).is_ok() {
            return addr;
        }
    }
}

/// A bare HTTP/1.1 request; returns the status code and body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    http_with(addr, method, path, &[], body)
}

/// A bare HTTP/1.1 request with extra headers.
pub fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {text:?}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Polls `cond` every 20 ms until it holds; panics with `what` after `secs` seconds.
pub fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(secs) {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// Polls `GET /healthz` until it answers 200 or `child` exits; panics after 20 s.
pub fn wait_healthy(addr: SocketAddr, child: &mut Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok((200, _)) = http(addr, "GET", "/healthz", b"") {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("media-lab exited with {status} before it was healthy");
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("media-lab was not healthy within 20 s");
}

/// Sends SIGTERM and waits for the exit status.
pub fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    child.wait().expect("wait for media-lab")
}
