//! Many writers at once, each on its own connection to the same file (as the bot, the workers and an
//! admin command are): SQLite's `BEGIN IMMEDIATE` must keep every money rule.

mod common;

use common::Scratch;
use media_lab::billing::{Billing, Finish, PaymentUpdate, Reserve};
use media_lab::config::Config;
use media_lab::db::{Store, jobs::NewJob};
use media_lab::model::Mode;
use media_lab::money::Kopecks;
use std::collections::HashMap;
use std::sync::{Arc, Barrier};

const THREADS: usize = 8;

/// A billing core on its own connection.
fn billing(dir: &Scratch) -> Billing {
    let vars: HashMap<&str, &str> = [
        ("PRICE_PER_OPERATION", "10"),
        ("FREE_OPERATIONS_COUNT", "0"),
    ]
    .into();
    let config =
        Arc::new(Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("config"));
    Billing::new(Arc::new(Store::open(&dir.db()).expect("store")), config)
}

/// The user as the database has them now.
fn user(dir: &Scratch, id: i64) -> media_lab::model::User {
    let store = Store::open(&dir.db()).expect("store");
    store.user(id).expect("read").expect("user")
}

fn job() -> NewJob {
    NewJob {
        chat_id: 1,
        input: "{}".into(),
        deadline_at: i64::MAX,
        update_id: None,
        model: None,
        format: None,
    }
}

/// Runs `f(thread index, billing)` on THREADS threads released together; returns their results.
fn at_once<T: Send + 'static>(
    dir: &Scratch,
    f: impl Fn(usize, Billing) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let f = Arc::new(f);
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (f, barrier, b) = (f.clone(), barrier.clone(), billing(dir));
            std::thread::spawn(move || {
                barrier.wait();
                f(i, b)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect()
}

#[test]
fn concurrent_reserves_never_overdraw() {
    let dir = Scratch::new("conc-reserve");
    let setup = billing(&dir);
    setup
        .adjust(7, Kopecks(9_550), "seed", "seed")
        .expect("seed balance");
    let results = at_once(&dir, |_, b| {
        (0..5)
            .map(
                |_| match b.reserve(7, Mode::Generate, &job()).expect("reserve") {
                    Reserve::Reserved(r) => Some(r.operation_id),
                    Reserve::Insufficient { balance, .. } => {
                        assert!(balance < Kopecks(1_000));
                        None
                    }
                    Reserve::Duplicate { .. } => unreachable!("no update ids here"),
                },
            )
            .collect::<Vec<_>>()
    });
    let ops: Vec<i64> = results.into_iter().flatten().flatten().collect();
    // floor(95.50 / 10) reservations succeed, out of 40 attempts.
    assert_eq!(ops.len(), 9);
    let user = user(&dir, 7);
    assert_eq!(user.balance, Kopecks(550));
    assert!(setup.audit().expect("audit").is_empty());
}

#[test]
fn racing_settles_and_refunds_finish_each_operation_once() {
    let dir = Scratch::new("conc-finish");
    let setup = billing(&dir);
    setup
        .adjust(8, Kopecks(100_000), "seed", "seed")
        .expect("seed balance");
    let ops: Vec<i64> = (0..20)
        .map(
            |_| match setup.reserve(8, Mode::Edit, &job()).expect("reserve") {
                Reserve::Reserved(r) => r.operation_id,
                other => panic!("{other:?}"),
            },
        )
        .collect();
    let ops = Arc::new(ops);
    let results = at_once(&dir, move |i, b| {
        ops.iter()
            .map(|op| {
                let got = if i % 2 == 0 {
                    b.settle(*op)
                } else {
                    b.refund(*op, "race")
                };
                matches!(got.expect("finish"), Finish::Done { .. })
            })
            .collect::<Vec<bool>>()
    });
    for op in 0..20 {
        let winners = results.iter().filter(|r| r[op]).count();
        assert_eq!(winners, 1, "operation {op} finished {winners} times");
    }
    assert!(setup.audit().expect("audit").is_empty());
    let refunded = results
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, r)| r.iter().filter(|w| **w).count())
        .sum::<usize>();
    let user = user(&dir, 8);
    assert_eq!(
        user.balance,
        Kopecks(100_000 - 20 * 1_000 + refunded as i64 * 1_000)
    );
}

#[test]
fn duplicate_success_reports_credit_once() {
    let dir = Scratch::new("conc-credit");
    let setup = billing(&dir);
    setup.ensure_user(9).expect("user");
    let payment = setup
        .create_payment(9, Kopecks(10_000))
        .expect("payment")
        .payment;
    let id = payment.id.clone();
    let results = at_once(&dir, move |_, b| {
        (0..6)
            .map(|_| {
                b.apply_payment_status(
                    &id,
                    media_lab::model::PaymentStatus::Succeeded,
                    Kopecks(10_000),
                    "RUB",
                )
                .expect("apply")
            })
            .collect::<Vec<_>>()
    });
    let credited = results
        .iter()
        .flatten()
        .filter(|u| matches!(u, PaymentUpdate::Credited { .. }))
        .count();
    assert_eq!(credited, 1);
    assert_eq!(user(&dir, 9).balance, Kopecks(10_000));
    assert!(setup.audit().expect("audit").is_empty());
}

/// 20 users race for a max-uses-5 code, each applying it, opening 3 drafts and paying all of them
/// (each on its own connection, released together): exactly 5 top-ups are discounted, at most one
/// per user, and every payment is credited in full.
#[test]
fn racing_drafts_give_a_limited_discount_at_most_max_uses_times() {
    const USERS: usize = 20;
    const DRAFTS: usize = 3;
    let dir = Scratch::new("race-code");
    let setup = billing(&dir);
    setup
        .add_promo_code(&media_lab::model::PromoCode {
            code: "FIVE".into(),
            kind: media_lab::model::PromoKind::Percent(50),
            max_uses: Some(5),
            used_count: 0,
            expires_at: None,
            is_active: true,
        })
        .expect("code");
    let barrier = Arc::new(Barrier::new(USERS));
    let handles: Vec<_> = (0..USERS)
        .map(|i| {
            let (barrier, b) = (barrier.clone(), billing(&dir));
            std::thread::spawn(move || {
                let user = 500 + i as i64;
                b.ensure_user(user).expect("user");
                barrier.wait();
                let applied = b.apply_discount_code(user, "five").expect("apply").is_ok();
                let drafts: Vec<_> = (0..DRAFTS)
                    .map(|_| b.create_payment(user, Kopecks(10_000)).expect("draft"))
                    .collect();
                for d in &drafts {
                    let p = &d.payment;
                    let update = b
                        .apply_payment_status(&p.id, media_lab::model::PaymentStatus::Succeeded, p.charge_amount, "RUB")
                        .expect("pay");
                    assert!(
                        matches!(update, PaymentUpdate::Credited { amount, .. } if amount == Kopecks(10_000)),
                        "{update:?}"
                    );
                }
                let discounted = drafts
                    .iter()
                    .filter(|d| d.payment.discount_code.is_some())
                    .count();
                (applied, discounted)
            })
        })
        .collect();
    let results: Vec<(bool, usize)> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    assert!(
        results.iter().all(|(_, n)| *n <= 1),
        "a user got the discount twice: {results:?}"
    );
    let given: usize = results.iter().map(|(_, n)| n).sum();
    assert_eq!(given, 5, "{results:?}");
    for i in 0..USERS {
        let user = user(&dir, 500 + i as i64);
        assert_eq!(user.balance, Kopecks(30_000), "user {i} credited in full");
    }
    let codes = setup.promo_codes().expect("codes");
    let five = codes.iter().find(|c| c.code == "FIVE").expect("FIVE");
    assert_eq!(five.used_count, 5);
    assert!(setup.audit().expect("audit").is_empty());
}
