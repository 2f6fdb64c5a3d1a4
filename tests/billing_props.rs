//! Property test: random sequences of every billing operation, run against the real billing core on a
//! real SQLite file and against a plain in-memory model of the rules. After every step the users'
//! balances, free operations and free access agree with the model, and `audit` finds no breach.

mod common;

use common::Scratch;
use media_lab::billing::{
    Billing, Finish, PaymentUpdate, Redeemed, RefundDebit, RefundHold, Reserve, StarsCredit,
    discounted_stars, stars_payload,
};
use media_lab::config::Config;
use media_lab::db::{Store, jobs::NewJob};
use media_lab::model::CodeRefusal;
use media_lab::model::{Mode, PaidWith, PromoCode, PromoKind};
use media_lab::money::{Kopecks, discounted};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

const USERS: i64 = 4;
const FREE_OPS: i64 = 2;

#[derive(Debug, Clone)]
enum Step {
    Ensure(i64),
    Adjust(i64, i64),
    Reserve(i64, usize),
    Settle(usize),
    Refund(usize),
    CreatePayment(i64, i64),
    PaymentStatus(usize, &'static str, bool),
    Discount(i64, usize),
    Redeem(i64, usize),
    FreeAccess(i64, bool),
    /// A Stars invoice draft of this many Stars.
    CreateStars(i64, u32),
    /// Telegram's successful_payment for a draft (true: delivered twice).
    PayStars(usize, bool),
    /// `payment refund`: the balance check and the hold.
    RefundHold(usize),
    /// The provider's answer to a held refund: done (true) or refused (false).
    RefundAnswer(usize, bool),
    /// The provider refunded on its own (Telegram's refunded payment, or one `reconcile` finds).
    ProviderRefund(usize),
    /// ❌ The user drops their operation code.
    DropCode(i64),
}

const CODES: &[&str] = &[
    "WELCOME10",
    "MEGA50",
    "LIMITED25",
    "FREE_ACCESS",
    "VIP",
    "GIFT3",
    "SALE20",
    "NOPE",
];

fn step() -> impl Strategy<Value = Step> {
    let user = 1..=USERS;
    prop_oneof![
        1 => user.clone().prop_map(Step::Ensure),
        1 => (user.clone(), prop_oneof![-3000i64..-1, 1i64..5000]).prop_map(|(u, d)| Step::Adjust(u, d)),
        3 => (user.clone(), 0..Mode::ALL.len()).prop_map(|(u, m)| Step::Reserve(u, m)),
        2 => any::<usize>().prop_map(Step::Settle),
        2 => any::<usize>().prop_map(Step::Refund),
        2 => (user.clone(), prop_oneof![Just(10_000i64), Just(5_050), Just(101), Just(30_000)])
            .prop_map(|(u, a)| Step::CreatePayment(u, a)),
        2 => (any::<usize>(), prop_oneof![Just("succeeded"), Just("canceled"), Just("pending")], any::<bool>())
            .prop_map(|(p, s, t)| Step::PaymentStatus(p, s, t)),
        2 => (user.clone(), 0..CODES.len()).prop_map(|(u, c)| Step::Discount(u, c)),
        1 => (user.clone(), 0..CODES.len()).prop_map(|(u, c)| Step::Redeem(u, c)),
        1 => (user.clone(), any::<bool>()).prop_map(|(u, on)| Step::FreeAccess(u, on)),
        2 => (user, prop_oneof![Just(100u32), Just(37), Just(1)]).prop_map(|(u, n)| Step::CreateStars(u, n)),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(p, twice)| Step::PayStars(p, twice)),
        2 => any::<usize>().prop_map(Step::RefundHold),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(p, ok)| Step::RefundAnswer(p, ok)),
        1 => any::<usize>().prop_map(Step::ProviderRefund),
        1 => (1..=USERS).prop_map(Step::DropCode),
    ]
}

#[derive(Debug, Default, Clone)]
struct MUser {
    balance: i64,
    /// What refunds the balance could not cover; the next credits pay it first.
    debt: i64,
    free_ops: i64,
    free_access: bool,
    pending: Option<String>,
    used: HashSet<String>,
    /// The percent of the operation code the user holds.
    standing: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum OpState {
    Charged,
    Settled,
    Refunded,
}

#[derive(Debug)]
struct MOp {
    id: i64,
    user: i64,
    paid_with: PaidWith,
    price: i64,
    state: OpState,
}

#[derive(Debug)]
struct MPay {
    id: String,
    user: i64,
    amount: i64,
    charge: i64,
    code: Option<String>,
    final_: bool,
    stars: bool,
    /// Credited (succeeded).
    credited: bool,
    refund: MRefund,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum MRefund {
    None,
    Held,
    Done,
}

struct MCode {
    kind: PromoKind,
    max: Option<i64>,
    used: i64,
}

struct Model {
    users: HashMap<i64, MUser>,
    ops: Vec<MOp>,
    pays: Vec<MPay>,
    codes: HashMap<&'static str, MCode>,
}

impl Model {
    /// SPEC §4: a code is usable by a user who has not used it, when its uses plus the live
    /// reservations of every user's drafts are under max uses; the user's own reservation does not
    /// count against them.
    fn usable(&self, user: i64, code: &str) -> Result<&MCode, CodeRefusal> {
        let c = self.codes.get(code).ok_or(CodeRefusal::Unknown)?;
        if self.users[&user].used.contains(code) {
            Err(CodeRefusal::AlreadyUsed)
        } else if self.holder(user, code).is_some() {
            Ok(c)
        } else if c.max.is_some_and(|m| c.used + self.reservations(code) >= m) {
            Err(CodeRefusal::UsedUp)
        } else {
            Ok(c)
        }
    }

    /// Live discounted drafts of `code`, from every user.
    fn reservations(&self, code: &str) -> i64 {
        self.pays
            .iter()
            .filter(|p| !p.final_ && p.code.as_deref() == Some(code))
            .count() as i64
    }

    /// The user's live draft that carries `code`.
    fn holder(&self, user: i64, code: &str) -> Option<&MPay> {
        self.pays
            .iter()
            .find(|p| p.user == user && !p.final_ && p.code.as_deref() == Some(code))
    }

    fn record_use(&mut self, user: i64, code: &str) {
        let first_use = self
            .users
            .get_mut(&user)
            .expect("user")
            .used
            .insert(code.to_string());
        if let Some(c) = self.codes.get_mut(code).filter(|_| first_use) {
            c.used += 1;
        }
    }

    /// A credit pays the user's debt first.
    fn credit(&mut self, user: i64, amount: i64) {
        let mu = self.users.get_mut(&user).expect("user");
        let paid = mu.debt.min(amount);
        mu.debt -= paid;
        mu.balance += amount - paid;
    }

    fn ensure(&mut self, user: i64) {
        self.users.entry(user).or_insert(MUser {
            free_ops: FREE_OPS,
            ..MUser::default()
        });
    }
}

fn price(mode: Mode) -> i64 {
    if mode == Mode::Upscale { 2550 } else { 1000 }
}

/// What `mode` takes from this user's balance: less their operation code, rounded half up to
/// kopecks, at least one.
fn charged(mu: &MUser, mode: Mode) -> i64 {
    match mu.standing {
        Some(p) => ((price(mode) * (100 - i64::from(p)) + 50) / 100).max(1),
        None => price(mode),
    }
}

fn setup(dir: &Scratch) -> (Arc<Store>, Billing, Model) {
    let vars: HashMap<&str, &str> = [
        ("PRICE_PER_OPERATION", "10"),
        ("PRICE_UPSCALE", "25.50"),
        ("FREE_OPERATIONS_COUNT", "2"),
    ]
    .into();
    let config =
        Arc::new(Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("config"));
    let store = Arc::new(Store::open(&dir.db()).expect("store"));
    let billing = Billing::new(store.clone(), config);
    billing.init_promo_codes().expect("init codes");
    let extra = [
        ("LIMITED25", PromoKind::Percent(25), Some(2)),
        ("VIP", PromoKind::FreeAccess, Some(2)),
        ("GIFT3", PromoKind::BonusOps(3), Some(3)),
        // Two users may hold it; 20 % off 25.50 ₽ is 20.40 ₽, off 10 ₽ is 8 ₽.
        ("SALE20", PromoKind::OperationsPercent(20), Some(2)),
    ];
    for (code, kind, max_uses) in extra {
        billing
            .add_promo_code(&PromoCode {
                code: code.into(),
                kind,
                max_uses,
                used_count: 0,
                expires_at: None,
                is_active: true,
            })
            .expect("add code");
    }
    let mut codes = HashMap::new();
    for (code, kind, max) in media_lab::billing::STANDARD_CODES
        .iter()
        .copied()
        .chain(extra)
    {
        codes.insert(code, MCode { kind, max, used: 0 });
    }
    (
        store,
        billing,
        Model {
            users: HashMap::new(),
            ops: Vec::new(),
            pays: Vec::new(),
            codes,
        },
    )
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

/// Applies one step to both sides and checks that they agree on its outcome.
fn apply(store: &Store, billing: &Billing, m: &mut Model, step: &Step) {
    match *step {
        Step::Ensure(u) => {
            billing.ensure_user(u).expect("ensure");
            m.ensure(u);
        }
        Step::Adjust(u, delta) => {
            let key = media_lab::ids::random_id("prop-").expect("id");
            let result = billing.adjust(u, Kopecks(delta), "prop", &key);
            let before = m.users.get(&u).map_or(0, |mu| mu.balance);
            if before + delta < 0 {
                // Refused as a whole: not even the user is created.
                assert!(result.is_err(), "debit below zero accepted");
            } else {
                result.expect("adjust");
                m.ensure(u);
                if delta > 0 {
                    m.credit(u, delta);
                } else {
                    m.users.get_mut(&u).expect("user").balance += delta;
                }
            }
        }
        Step::Reserve(u, mode) => {
            let mode = Mode::ALL[mode];
            let result = billing.reserve(u, mode, &job());
            let Some(mu) = m.users.get_mut(&u) else {
                assert!(result.is_err(), "reserve for an unknown user");
                return;
            };
            let expected = if mu.free_access {
                Some((PaidWith::FreeAccess, 0))
            } else if mu.free_ops > 0 {
                mu.free_ops -= 1;
                Some((PaidWith::FreeOperation, 0))
            } else if mu.balance >= charged(mu, mode) {
                mu.balance -= charged(mu, mode);
                Some((PaidWith::Balance, charged(mu, mode)))
            } else {
                None
            };
            match (result.expect("reserve"), expected) {
                (Reserve::Reserved(r), Some((paid_with, price))) => {
                    assert_eq!((r.paid_with, r.price), (paid_with, Kopecks(price)));
                    m.ops.push(MOp {
                        id: r.operation_id,
                        user: u,
                        paid_with,
                        price,
                        state: OpState::Charged,
                    });
                }
                (Reserve::Insufficient { price: p, balance }, None) => {
                    assert_eq!(
                        (p, balance),
                        (Kopecks(charged(mu, mode)), Kopecks(mu.balance))
                    );
                }
                (got, want) => panic!("reserve: got {got:?}, model expected {want:?}"),
            }
        }
        Step::Settle(i) | Step::Refund(i) => {
            if m.ops.is_empty() {
                return;
            }
            let i = i % m.ops.len();
            let settle = matches!(step, Step::Settle(_));
            let got = if settle {
                billing.settle(m.ops[i].id)
            } else {
                billing.refund(m.ops[i].id, "prop")
            }
            .expect("finish");
            let op = &mut m.ops[i];
            let want = match (op.state, settle) {
                (OpState::Charged, true) => {
                    op.state = OpState::Settled;
                    Finish::Done {
                        returned: Kopecks::ZERO,
                        free_operation: false,
                    }
                }
                (OpState::Charged, false) => {
                    op.state = OpState::Refunded;
                    let (user, price) = (op.user, op.price);
                    let free = op.paid_with == PaidWith::FreeOperation;
                    m.credit(user, price);
                    m.users.get_mut(&user).expect("user").free_ops += i64::from(free);
                    Finish::Done {
                        returned: Kopecks(price),
                        free_operation: free,
                    }
                }
                (OpState::Settled, _) => Finish::AlreadySettled,
                (OpState::Refunded, _) => Finish::AlreadyRefunded,
            };
            assert_eq!(got, want);
        }
        Step::CreatePayment(u, amount) => {
            let result = billing.create_payment(u, Kopecks(amount));
            let Some(mu) = m.users.get(&u) else {
                assert!(result.is_err());
                return;
            };
            let mut code = None;
            let mut percent = 0;
            let mut held = None;
            if let Some(pending) = mu.pending.clone() {
                match m.usable(u, &pending) {
                    Ok(_) if m.holder(u, &pending).is_some() => {
                        held = m.holder(u, &pending).map(|p| p.id.clone());
                    }
                    Ok(MCode {
                        kind: PromoKind::Percent(p),
                        ..
                    }) => {
                        percent = *p;
                        code = Some(pending);
                    }
                    _ => m.users.get_mut(&u).expect("user").pending = None,
                }
            }
            let new = result.expect("create payment");
            assert_eq!(
                new.held_by.map(|p| p.id),
                held,
                "the draft holding the code"
            );
            let p = new.payment;
            assert_eq!(p.amount, Kopecks(amount));
            assert_eq!(p.charge_amount, discounted(Kopecks(amount), percent));
            assert_eq!(p.discount_code, code);
            m.pays.push(MPay {
                id: p.id,
                user: u,
                amount,
                charge: p.charge_amount.0,
                code,
                final_: false,
                stars: false,
                credited: false,
                refund: MRefund::None,
            });
        }
        Step::PaymentStatus(i, status, tamper) => {
            if m.pays.is_empty() {
                return;
            }
            let i = i % m.pays.len();
            if m.pays[i].stars {
                return;
            }
            let paid = m.pays[i].charge + i64::from(tamper);
            let got = billing
                .apply_payment_status(
                    &m.pays[i].id,
                    status.parse().expect("a status"),
                    Kopecks(paid),
                    "RUB",
                )
                .expect("status");
            if m.pays[i].final_ {
                assert!(matches!(got, PaymentUpdate::AlreadyFinal { .. }), "{got:?}");
                return;
            }
            match (status, tamper) {
                ("pending", _) => assert!(matches!(got, PaymentUpdate::Pending { .. })),
                ("canceled", _) => {
                    assert!(matches!(got, PaymentUpdate::Canceled { .. }));
                    m.pays[i].final_ = true;
                }
                (_, true) => {
                    assert!(matches!(got, PaymentUpdate::Mismatch { .. }), "{got:?}");
                    m.pays[i].final_ = true;
                }
                _ => {
                    m.pays[i].final_ = true;
                    m.pays[i].credited = true;
                    let (user, amount, code) =
                        (m.pays[i].user, m.pays[i].amount, m.pays[i].code.clone());
                    m.credit(user, amount);
                    let mu = m.users.get_mut(&user).expect("user");
                    let balance = mu.balance;
                    if let Some(code) = code {
                        if mu.pending.as_deref() == Some(code.as_str()) {
                            mu.pending = None;
                        }
                        m.record_use(user, &code);
                    }
                    assert_eq!(
                        got,
                        PaymentUpdate::Credited {
                            telegram_id: user,
                            amount: Kopecks(amount),
                            balance: Kopecks(balance)
                        }
                    );
                }
            }
        }
        Step::Discount(u, c) => {
            let result = billing.apply_discount_code(u, CODES[c]);
            if !m.users.contains_key(&u) {
                assert!(result.is_err());
                return;
            }
            let want = match m.usable(u, CODES[c]) {
                Ok(MCode {
                    kind: PromoKind::Percent(_),
                    ..
                }) => Ok(None),
                Ok(MCode {
                    kind: PromoKind::OperationsPercent(p),
                    ..
                }) => Ok(Some(*p)),
                Ok(_) => Err(CodeRefusal::WrongKind),
                Err(r) => Err(r),
            };
            assert_eq!(result.expect("discount").map(|_| ()), want.map(|_| ()));
            match want {
                // An operation code is used when entered and stands until dropped.
                Ok(Some(percent)) => {
                    m.record_use(u, CODES[c]);
                    m.users.get_mut(&u).expect("user").standing = Some(percent);
                }
                Ok(None) => m.users.get_mut(&u).expect("user").pending = Some(CODES[c].to_string()),
                Err(_) => {}
            }
        }
        Step::Redeem(u, c) => {
            let result = billing.redeem_generation_code(u, CODES[c]);
            if !m.users.contains_key(&u) {
                assert!(result.is_err());
                return;
            }
            let kind = match m.usable(u, CODES[c]) {
                Ok(MCode {
                    kind: PromoKind::Percent(_) | PromoKind::OperationsPercent(_),
                    ..
                }) => Err(CodeRefusal::WrongKind),
                Ok(code) => Ok(code.kind),
                Err(r) => Err(r),
            };
            let got = result.expect("redeem");
            match kind {
                Err(r) => assert_eq!(got, Err(r)),
                Ok(kind) => {
                    m.record_use(u, CODES[c]);
                    let mu = m.users.get_mut(&u).expect("user");
                    match kind {
                        PromoKind::FreeAccess => {
                            mu.free_access = true;
                            assert!(matches!(got, Ok(Redeemed::FreeAccess(_))), "{got:?}");
                        }
                        PromoKind::BonusOps(n) => {
                            mu.free_ops += i64::from(n);
                            assert!(
                                matches!(got, Ok(Redeemed::BonusOps { added, .. }) if added == n),
                                "{got:?}"
                            );
                        }
                        PromoKind::Percent(_) | PromoKind::OperationsPercent(_) => unreachable!(),
                    }
                }
            }
        }
        Step::DropCode(u) => {
            let result = billing.cancel_standing_code(u);
            match m.users.get_mut(&u) {
                None => assert!(result.is_err()),
                Some(mu) => {
                    assert_eq!(result.expect("drop"), mu.standing.is_some());
                    mu.standing = None;
                }
            }
        }
        Step::FreeAccess(u, on) => {
            billing.set_free_access(u, on, "prop").expect("free access");
            m.ensure(u);
            m.users.get_mut(&u).expect("user").free_access = on;
        }
        Step::CreateStars(u, stars) => {
            let result = billing.create_stars_payment(u, stars);
            let Some(mu) = m.users.get(&u) else {
                assert!(result.is_err());
                return;
            };
            // The same reservation rule as a card draft (SPEC §4, §5b).
            let mut code = None;
            let mut percent = 0;
            if let Some(pending) = mu.pending.clone() {
                match m.usable(u, &pending) {
                    Ok(_) if m.holder(u, &pending).is_some() => {}
                    Ok(MCode {
                        kind: PromoKind::Percent(p),
                        ..
                    }) => {
                        percent = *p;
                        code = Some(pending);
                    }
                    _ => m.users.get_mut(&u).expect("user").pending = None,
                }
            }
            let p = result.expect("stars draft").payment;
            assert_eq!(p.amount, Kopecks(i64::from(stars) * 100));
            assert_eq!(
                p.charge_amount.0,
                discounted_stars(i64::from(stars), percent)
            );
            assert_eq!(p.discount_code, code);
            m.pays.push(MPay {
                id: p.id,
                user: u,
                amount: p.amount.0,
                charge: p.charge_amount.0,
                code,
                final_: false,
                stars: true,
                credited: false,
                refund: MRefund::None,
            });
        }
        Step::PayStars(i, twice) => {
            let Some(i) = index(m, i, |p| p.stars && !p.final_) else {
                return;
            };
            let draft = store.payment(&m.pays[i].id).expect("read").expect("draft");
            let (user, charge_id) = (m.pays[i].user, format!("charge-{}", m.pays[i].id));
            let total = u32::try_from(m.pays[i].charge).expect("stars");
            let got = billing
                .credit_stars(user, &stars_payload(&draft), total, &charge_id)
                .expect("credit stars");
            m.pays[i].final_ = true;
            m.pays[i].credited = true;
            let (amount, code) = (m.pays[i].amount, m.pays[i].code.clone());
            m.credit(user, amount);
            if let Some(code) = code {
                let mu = m.users.get_mut(&user).expect("user");
                if mu.pending.as_deref() == Some(code.as_str()) {
                    mu.pending = None;
                }
                m.record_use(user, &code);
            }
            let balance = m.users[&user].balance;
            assert!(
                matches!(got, StarsCredit::Credited { amount: a, balance: b, .. } if a == Kopecks(amount) && b == Kopecks(balance)),
                "{got:?}"
            );
            if twice {
                let again = billing
                    .credit_stars(user, &stars_payload(&draft), total, &charge_id)
                    .expect("credit stars again");
                assert_eq!(again, StarsCredit::Already);
            }
        }
        Step::RefundHold(i) => {
            let Some(i) = index(m, i, |p| p.credited) else {
                return;
            };
            let got = billing.hold_refund(&m.pays[i].id).expect("hold");
            let (user, amount) = (m.pays[i].user, m.pays[i].amount);
            match m.pays[i].refund {
                MRefund::Done => assert!(matches!(got, RefundHold::No(_)), "{got:?}"),
                MRefund::Held => assert!(matches!(got, RefundHold::InFlight(_)), "{got:?}"),
                MRefund::None if m.users[&user].balance < amount => {
                    assert!(matches!(got, RefundHold::No(_)), "{got:?}")
                }
                MRefund::None => {
                    assert!(matches!(got, RefundHold::Held(_)), "{got:?}");
                    m.users.get_mut(&user).expect("user").balance -= amount;
                    m.pays[i].refund = MRefund::Held;
                }
            }
        }
        Step::RefundAnswer(i, done) => {
            let Some(i) = index(m, i, |p| p.refund == MRefund::Held) else {
                return;
            };
            let id = m.pays[i].id.clone();
            if done {
                let got = billing.refund_succeeded(&id, None).expect("succeeded");
                assert!(
                    matches!(got, RefundDebit::Debited { shortfall, .. } if shortfall == Kopecks::ZERO),
                    "{got:?}"
                );
                m.pays[i].refund = MRefund::Done;
            } else {
                assert!(billing.release_refund(&id).expect("release"));
                m.pays[i].refund = MRefund::None;
                let (user, amount) = (m.pays[i].user, m.pays[i].amount);
                m.credit(user, amount);
            }
        }
        Step::ProviderRefund(i) => {
            let Some(i) = index(m, i, |p| p.credited) else {
                return;
            };
            let id = m.pays[i].id.clone();
            let got = billing
                .refund_succeeded(&id, None)
                .expect("provider refund");
            let (user, amount) = (m.pays[i].user, m.pays[i].amount);
            match m.pays[i].refund {
                MRefund::Done => assert_eq!(got, RefundDebit::Already),
                MRefund::Held => {
                    assert!(matches!(got, RefundDebit::Debited { .. }), "{got:?}");
                }
                MRefund::None => {
                    let mu = m.users.get_mut(&user).expect("user");
                    let take = mu.balance.min(amount);
                    mu.balance -= take;
                    mu.debt += amount - take;
                    assert_eq!(
                        got,
                        RefundDebit::Debited {
                            telegram_id: user,
                            amount: Kopecks(take),
                            shortfall: Kopecks(amount - take),
                        }
                    );
                }
            }
            m.pays[i].refund = MRefund::Done;
        }
    }
}

/// The `i`-th (modulo) of the model's payments that `fits`.
fn index(m: &Model, i: usize, fits: impl Fn(&MPay) -> bool) -> Option<usize> {
    let fitting: Vec<usize> = (0..m.pays.len()).filter(|&j| fits(&m.pays[j])).collect();
    (!fitting.is_empty()).then(|| fitting[i % fitting.len()])
}

fn agree(store: &Store, billing: &Billing, m: &Model) {
    for u in 1..=USERS {
        let got = store.user(u).expect("user");
        match (got, m.users.get(&u)) {
            (None, None) => {}
            (Some(got), Some(want)) => {
                assert_eq!(got.balance, Kopecks(want.balance), "balance of {u}");
                assert_eq!(
                    got.free_operations_left, want.free_ops,
                    "free operations of {u}"
                );
                assert_eq!(got.has_free_access, want.free_access, "free access of {u}");
                assert_eq!(got.debt, Kopecks(want.debt), "debt of {u}");
                assert_eq!(
                    got.pending_discount_code, want.pending,
                    "pending code of {u}"
                );
            }
            (got, want) => panic!("user {u}: db {got:?}, model {want:?}"),
        }
    }
    // The discount invariant, read from the database itself: per code, discounted top-ups that
    // succeeded are at most its max uses, and at most one per user.
    let per_user: i64 = store
        .read(|c| {
            Ok(c.query_row(
                "SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM payments
                  WHERE status = 'succeeded' AND discount_code IS NOT NULL
                  GROUP BY telegram_id, discount_code)",
                [],
                |r| r.get(0),
            )?)
        })
        .expect("per-user discounts");
    assert!(
        per_user <= 1,
        "a user got one code's discount {per_user} times"
    );
    for (code, c) in &m.codes {
        let given: i64 = store
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*) FROM payments WHERE status = 'succeeded' AND discount_code = ?1",
                    [code],
                    |r| r.get(0),
                )?)
            })
            .expect("discounts given");
        assert!(
            c.max.is_none_or(|max| given <= max),
            "{code}: {given} discounts for max uses {:?}",
            c.max
        );
    }
    let breaches = billing.audit().expect("audit");
    assert!(breaches.is_empty(), "{breaches:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn billing_matches_the_model(steps in proptest::collection::vec(step(), 1..60)) {
        let dir = Scratch::new("prop");
        let (store, billing, mut model) = setup(&dir);
        for step in &steps {
            apply(&store, &billing, &mut model, step);
            agree(&store, &billing, &model);
        }
    }
}
