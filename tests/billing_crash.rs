//! Crash safety: a child process runs a stream of reserves, settles, refunds, credits and adjustments
//! and prints `ACK …` after each commit returns; the test kill -9s it at random moments, restarts it,
//! and finally checks that the books hold and that every acknowledged step is in the file.
//!
//! The child is this same test binary re-run with `--ignored --exact crash_worker` (see
//! `crash_worker`), so the stream uses the real billing core on the real file.

mod common;

use common::Scratch;
use media_lab::billing::{Billing, Finish, PaymentUpdate, Reserve};
use media_lab::config::Config;
use media_lab::db::{Store, jobs::NewJob};
use media_lab::model::Mode;
use media_lab::money::Kopecks;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KILLS: usize = 60;
const WORKER_ENV: &str = "MEDIA_LAB_CRASH_WORKER_DB";

fn billing(db: &std::path::Path) -> (Arc<Store>, Billing) {
    let vars: HashMap<&str, &str> = [
        ("PRICE_PER_OPERATION", "10"),
        ("FREE_OPERATIONS_COUNT", "1"),
    ]
    .into();
    let config =
        Arc::new(Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("config"));
    let store = Arc::new(Store::open(db).expect("store"));
    (store.clone(), Billing::new(store, config))
}

/// xorshift64*: enough randomness for choosing steps and kill moments, no dependency.
struct Rng(u64);
impl Rng {
    fn seeded() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(1);
        Rng(u64::from(nanos) ^ (u64::from(std::process::id()) << 32) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// The child's body. Ignored as a test: it only runs when `billing_survives_kill_9` starts it.
#[test]
#[ignore = "entry point of the child process of billing_survives_kill_9"]
fn crash_worker() {
    let Some(db) = std::env::var_os(WORKER_ENV) else {
        eprintln!("crash_worker is started by billing_survives_kill_9; run that test instead");
        return;
    };
    let (store, b) = billing(std::path::Path::new(&db));
    let mut out = std::io::stdout().lock();
    let mut ack = |line: String| {
        writeln!(out, "ACK {line}").expect("stdout");
        out.flush().expect("flush");
    };
    let mut rng = Rng::seeded();
    // Whatever a killed predecessor left charged or unpaid is finished first, as the job and payment
    // recovery of `run` will.
    let (mut charged, unpaid) = store
        .read(|c| {
            let ids = |sql: &str| -> media_lab::error::Result<Vec<String>> {
                let mut stmt = c.prepare(sql)?;
                let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
                Ok(rows.collect::<Result<_, _>>()?)
            };
            Ok((
                ids("SELECT CAST(id AS TEXT) FROM operations WHERE status = 'charged'")?,
                ids("SELECT id FROM payments WHERE status = 'created'")?,
            ))
        })
        .expect("recover");
    for pid in unpaid {
        if let PaymentUpdate::Credited { .. } = b
            .apply_payment_status(
                &pid,
                media_lab::model::PaymentStatus::Succeeded,
                Kopecks(10_000),
                "RUB",
            )
            .expect("credit")
        {
            ack(format!("credit {pid}"));
        }
    }
    loop {
        let user = 1 + rng.below(5) as i64;
        match rng.below(10) {
            0..=3 => {
                b.ensure_user(user).expect("user");
                match b
                    .reserve(
                        user,
                        Mode::ALL[rng.below(6) as usize],
                        &NewJob {
                            chat_id: user,
                            input: "{}".into(),
                            deadline_at: i64::MAX,
                            update_id: None,
                            model: None,
                            format: None,
                        },
                    )
                    .expect("reserve")
                {
                    Reserve::Reserved(r) => {
                        ack(format!("reserve {}", r.operation_id));
                        charged.push(r.operation_id.to_string());
                    }
                    Reserve::Insufficient { .. } => ack("insufficient".into()),
                    Reserve::Duplicate { .. } => unreachable!("no update ids here"),
                }
            }
            4..=6 if !charged.is_empty() => {
                let op = charged.swap_remove(rng.below(charged.len() as u64) as usize);
                let id: i64 = op.parse().expect("id");
                let settle = rng.below(2) == 0;
                let got = if settle {
                    b.settle(id)
                } else {
                    b.refund(id, "crash test")
                }
                .expect("finish");
                assert!(matches!(got, Finish::Done { .. }), "{got:?}");
                ack(format!("{} {id}", if settle { "settle" } else { "refund" }));
            }
            7 | 8 => {
                b.ensure_user(user).expect("user");
                let pid = b
                    .create_payment(user, Kopecks(10_000))
                    .expect("payment")
                    .payment
                    .id;
                ack(format!("create {pid}"));
                let got = b
                    .apply_payment_status(
                        &pid,
                        media_lab::model::PaymentStatus::Succeeded,
                        Kopecks(10_000),
                        "RUB",
                    )
                    .expect("credit");
                assert!(matches!(got, PaymentUpdate::Credited { .. }), "{got:?}");
                ack(format!("credit {pid}"));
            }
            _ => {
                let key = media_lab::ids::random_id("crash-").expect("key");
                b.adjust(user, Kopecks(500), "crash test", &key)
                    .expect("adjust");
                ack(format!("adjust {key}"));
            }
        }
    }
}

#[test]
fn billing_survives_kill_9() {
    let dir = Scratch::new("crash");
    drop(billing(&dir.db())); // migrate once up front
    let acks = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut rng = Rng::seeded();
    let exe = std::env::current_exe().expect("test binary");
    for _ in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "crash_worker",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WORKER_ENV, dir.db())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn worker");
        let stdout = child.stdout.take().expect("stdout");
        let reader = {
            let acks = acks.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(ack) = line.strip_prefix("ACK ") {
                        acks.lock().expect("acks").push(ack.to_string());
                    }
                }
            })
        };
        std::thread::sleep(Duration::from_millis(30 + rng.below(120)));
        child.kill().expect("kill -9"); // SIGKILL: no destructor, no flush, no rollback by us
        child.wait().expect("reap");
        reader.join().expect("reader");
    }

    let (store, b) = billing(&dir.db());
    let breaches = b.audit().expect("audit");
    assert!(breaches.is_empty(), "{breaches:#?}");
    let acks = acks.lock().expect("acks");
    assert!(
        acks.len() > 200,
        "only {} steps were acknowledged; the stream barely ran",
        acks.len()
    );
    let mut counts: HashMap<&str, usize> = HashMap::new();
    store
        .read(|c| {
            let exists = |sql: &str, arg: &str| -> bool {
                c.query_row(sql, [arg], |r| r.get::<_, bool>(0)).expect("query")
            };
            for ack in acks.iter() {
                let (kind, arg) = ack.split_once(' ').unwrap_or((ack.as_str(), ""));
                *counts.entry(kind).or_default() += 1;
                let found = match kind {
                    "reserve" => exists(
                        "SELECT EXISTS (SELECT 1 FROM ledger WHERE kind = 'charge' AND operation_id = CAST(?1 AS INTEGER))",
                        arg,
                    ),
                    "settle" => exists("SELECT status = 'settled' FROM operations WHERE id = CAST(?1 AS INTEGER)", arg),
                    "refund" => exists("SELECT status = 'refunded' FROM operations WHERE id = CAST(?1 AS INTEGER)", arg),
                    "create" => exists("SELECT EXISTS (SELECT 1 FROM payments WHERE id = ?1)", arg),
                    "credit" => exists(
                        "SELECT EXISTS (SELECT 1 FROM ledger WHERE kind = 'topup' AND payment_id = ?1)",
                        arg,
                    ),
                    "adjust" => exists("SELECT EXISTS (SELECT 1 FROM ledger WHERE idempotency_key = 'adjustment:' || ?1)", arg),
                    "insufficient" => true,
                    other => panic!("unknown ack {other}"),
                };
                assert!(found, "acknowledged step lost: {ack}");
            }
            Ok(())
        })
        .expect("verify");
    eprintln!(
        "{KILLS} kills, {} acknowledged steps verified: {counts:?}",
        acks.len()
    );
}
