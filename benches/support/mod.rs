//! Helpers every benchmark uses: percentiles and memory figures from /proc.
#![allow(dead_code)]

use std::time::Duration;

/// The `p` percentile (0–1) of sorted latencies, in milliseconds.
pub fn pct(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3
}

/// A `VmRSS:`/`VmHWM:`-style field of `/proc/<pid>/status` in KiB (`pid` may be "self"); 0 if unreadable.
pub fn status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Resident memory of process `pid`, KiB.
pub fn rss(pid: u32) -> u64 {
    status_kib(&pid.to_string(), "VmRSS:")
}
