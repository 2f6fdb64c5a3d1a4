//! Paying for an operation: reserve (with its job), then settle on success or refund on failure.

use super::{Billing, must_get_user};
use crate::db::{self, jobs::NewJob, ledger, operations::Status};
use crate::error::{Error, Result};
use crate::model::{JobFailure, Notice};
use crate::model::{JobKind, JobStatus, Mode, PaidWith};
use crate::money::Kopecks;

/// A charge taken: the operation and its queued job exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub operation_id: i64,
    pub job_id: i64,
    pub paid_with: PaidWith,
    /// Kopecks taken from the balance (zero unless paid with the balance).
    pub price: Kopecks,
    /// What the user has left after this charge.
    pub balance: Kopecks,
    pub free_operations_left: i64,
    pub plan_operations_left: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    Reserved(Reservation),
    /// Nothing was written; the user needs to top up.
    Insufficient {
        price: Kopecks,
        balance: Kopecks,
    },
    /// The same update queued this job before (it ran again after a crash): nothing written.
    Duplicate {
        job_id: i64,
    },
}

/// What settle or refund found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// This call moved the operation; for a refund, `returned` is the money given back (zero when a
    /// free operation or nothing was returned) and `free_operation` whether a free operation was.
    Done {
        returned: Kopecks,
        free_operation: bool,
    },
    AlreadySettled,
    AlreadyRefunded,
}

impl Billing {
    /// Pays for one operation in `mode`, in the order free access → one free operation → the balance,
    /// and queues its job, all in one transaction. Not enough of anything → `Insufficient` and nothing
    /// written.
    pub fn reserve(&self, telegram_id: i64, mode: Mode, job: &NewJob) -> Result<Reserve> {
        // The price is the catalogue's for the model the job asks for (the mode's first when it
        // names none or one the catalogue no longer has), never one the edge computed.
        let model = self.model(mode, job.model.as_deref());
        let price = model.price;
        self.store.write(|tx| {
            if let Some(update) = job.update_id
                && let Some(job_id) = db::jobs::by_update(tx, telegram_id, update)?
            {
                return Ok(Reserve::Duplicate { job_id });
            }
            let user = must_get_user(tx, telegram_id)?;
            let Some(charge) = Charge::pick(tx, &user, price, true)? else {
                return Ok(Reserve::Insufficient {
                    price: user.price_of(price),
                    balance: user.balance,
                });
            };
            let now = crate::time::now();
            let paid_with = charge.paid_with;
            let taken = charge.taken;
            let operation_id = charge_in(tx, telegram_id, mode.as_str(), &charge, now)?;
            let job_id = db::jobs::insert(
                tx,
                Some(operation_id),
                telegram_id,
                JobKind::Paid(mode),
                job,
                Some(db::jobs::Priced {
                    endpoint: &model.id,
                    label: model.key(),
                    cost: model.cost,
                }),
                now,
            )?;
            let after = must_get_user(tx, telegram_id)?;
            Ok(Reserve::Reserved(Reservation {
                operation_id,
                job_id,
                paid_with,
                price: taken,
                balance: after.balance,
                free_operations_left: after.free_operations_left,
                plan_operations_left: after.plan_operations_left,
            }))
        })
    }

    /// The job succeeded: the charge stands. At most once, and never after a refund.
    pub fn settle(&self, operation_id: i64) -> Result<Finish> {
        self.store.write(|tx| settle_in(tx, operation_id))
    }

    /// The job failed: give back exactly what the charge took (the money or the free operation), once,
    /// and never after a settle.
    pub fn refund(&self, operation_id: i64, reason: &str) -> Result<Finish> {
        self.store.write(|tx| refund_in(tx, operation_id, reason))
    }

    /// Settles a delivered job's operation and marks the job done, in one transaction.
    pub fn settle_job(&self, job_id: i64, operation_id: i64) -> Result<Finish> {
        self.store.write(|tx| {
            let finish = settle_in(tx, operation_id)?;
            db::jobs::finish(tx, job_id, JobStatus::Done, None, crate::time::now())?;
            Ok(finish)
        })
    }

    /// Ends a failed job: refunds its operation (if it has one and it is still charged), marks the job
    /// failed, and queues the message that tells the user — all in one transaction, so a refund is
    /// never committed without its message (the outbox delivers it, after a restart too), which
    /// says `why` in `lang` (the job's; empty for the user's). Returns the refund,
    /// or None when there was nothing to refund or the job had already ended.
    pub fn fail_job(
        &self,
        job_id: i64,
        reason: &str,
        why: JobFailure,
        lang: String,
    ) -> Result<Option<Finish>> {
        self.store.write(|tx| {
            let now = crate::time::now();
            let job = db::jobs::get(tx, job_id)?
                .ok_or_else(|| Error::NotFound(format!("job {job_id}")))?;
            let finish = match job.operation_id {
                Some(op) => Some(refund_in(tx, op, reason)?),
                None => None,
            };
            let ended = db::jobs::finish(tx, job_id, JobStatus::Failed, Some(reason), now)?;
            let refunded = match finish {
                Some(Finish::Done {
                    returned,
                    free_operation,
                }) => Some((returned, free_operation)),
                _ => None,
            };
            if ended || refunded.is_some() {
                let (returned, free_operation) = refunded.unwrap_or((Kopecks::ZERO, false));
                let balance = match returned.is_positive() {
                    true => db::users::get(tx, job.telegram_id)?.map(|u| u.balance),
                    false => None,
                };
                let notice = Notice::JobFailed {
                    job_id,
                    chat_id: job.chat_id,
                    why,
                    lang,
                    returned,
                    free_operation,
                    balance,
                    progress_message_id: job.progress_message_id,
                };
                db::notices::insert(tx, job.telegram_id, &notice, now)?;
            }
            Ok(finish.filter(|f| matches!(f, Finish::Done { .. })))
        })
    }
}

/// How one operation is paid: what it takes, and what it would have cost without the user's
/// operation code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Charge {
    pub paid_with: PaidWith,
    /// Kopecks from the balance.
    pub taken: Kopecks,
    /// Free operations (0 or -1).
    pub free_ops: i64,
    /// The listed price and the code that lowered it, when one did.
    pub discount: Option<(Kopecks, String)>,
    /// The plan period one of whose operations it uses.
    pub plan_period: Option<i64>,
}

impl Charge {
    /// The way `user` pays for an operation listed at `price`, in the order of SPEC §4 and §8b: free
    /// access → a plan's operation → a free operation → the balance, less the user's operation code.
    /// Free and plan operations are worth a picture: `whole` is false for ✍️, which takes neither.
    /// None: nothing suffices.
    pub fn pick(
        tx: &rusqlite::Connection,
        user: &crate::model::User,
        price: Kopecks,
        whole: bool,
    ) -> Result<Option<Charge>> {
        let free = |paid_with, free_ops, plan_period| Charge {
            paid_with,
            taken: Kopecks::ZERO,
            free_ops,
            discount: None,
            plan_period,
        };
        if user.has_free_access {
            return Ok(Some(free(PaidWith::FreeAccess, 0, None)));
        }
        if whole
            && user.plan_operations_left > 0
            && let Some(period) = db::plans::take_one(tx, user.telegram_id, crate::time::now())?
        {
            return Ok(Some(free(PaidWith::Plan, 0, Some(period))));
        }
        if whole && user.free_operations_left > 0 {
            return Ok(Some(free(PaidWith::FreeOperation, -1, None)));
        }
        let taken = user.price_of(price);
        if user.balance < taken {
            return Ok(None);
        }
        let discount = match &user.standing_discount {
            Some((code, _)) if taken < price => Some((price, code.clone())),
            _ => None,
        };
        Ok(Some(Charge {
            paid_with: PaidWith::Balance,
            taken,
            free_ops: 0,
            discount,
            plan_period: None,
        }))
    }
}

/// A charged operation of `kind` and its ledger charge, inside the caller's transaction: the one
/// way an operation is paid for.
pub(super) fn charge_in(
    tx: &rusqlite::Connection,
    telegram_id: i64,
    kind: &str,
    charge: &Charge,
    now: i64,
) -> Result<i64> {
    let operation_id = db::operations::insert(
        tx,
        telegram_id,
        kind,
        &db::operations::Paid {
            paid_with: charge.paid_with,
            price: charge.taken,
            full_price: charge.discount.as_ref().map(|(p, _)| *p),
            discount_code: charge.discount.as_ref().map(|(_, c)| c.as_str()),
            plan_period: charge.plan_period,
        },
        now,
    )?;
    ledger::append(
        tx,
        &ledger::Entry {
            telegram_id,
            kind: ledger::Kind::Charge,
            amount: Kopecks(-charge.taken.0),
            free_ops: charge.free_ops,
            key: &ledger::key::charge(operation_id),
            operation_id: Some(operation_id),
            payment_id: None,
            reason: Some(kind),
        },
        now,
    )?;
    Ok(operation_id)
}

pub(super) fn settle_in(tx: &rusqlite::Connection, operation_id: i64) -> Result<Finish> {
    if db::operations::finish(tx, operation_id, Status::Settled, None, crate::time::now())? {
        return Ok(Finish::Done {
            returned: Kopecks::ZERO,
            free_operation: false,
        });
    }
    already(tx, operation_id)
}

pub(super) fn refund_in(
    tx: &rusqlite::Connection,
    operation_id: i64,
    reason: &str,
) -> Result<Finish> {
    let now = crate::time::now();
    if !db::operations::finish(tx, operation_id, Status::Refunded, Some(reason), now)? {
        return already(tx, operation_id);
    }
    let op = db::operations::get(tx, operation_id)?
        .ok_or_else(|| Error::NotFound(format!("operation {operation_id}")))?;
    let free_operation = op.paid_with == PaidWith::FreeOperation;
    if let Some(period) = op.plan_period {
        // The plan's operation comes back to its period (used until the period ends).
        db::plans::give_back(tx, period)?;
    }
    ledger::append(
        tx,
        &ledger::Entry {
            telegram_id: op.telegram_id,
            kind: ledger::Kind::Refund,
            amount: op.price,
            free_ops: i64::from(free_operation),
            key: &ledger::key::operation_refund(operation_id),
            operation_id: Some(operation_id),
            payment_id: None,
            reason: Some(reason),
        },
        now,
    )?;
    Ok(Finish::Done {
        returned: op.price,
        free_operation,
    })
}

fn already(tx: &rusqlite::Connection, operation_id: i64) -> Result<Finish> {
    match db::operations::get(tx, operation_id)?.map(|o| o.status) {
        Some(Status::Settled) => Ok(Finish::AlreadySettled),
        Some(Status::Refunded) => Ok(Finish::AlreadyRefunded),
        // finish() only fails to move a charged operation when it is not charged any more.
        Some(Status::Charged) => Err(Error::internal(format!(
            "operation {operation_id} is charged but could not be finished"
        ))),
        None => Err(Error::NotFound(format!("operation {operation_id}"))),
    }
}
