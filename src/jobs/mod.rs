//! Image jobs. Paid jobs are queued by `Billing::reserve` together with their charge; free "add text"
//! jobs are queued here.

use crate::db::{self, Store, jobs::NewJob};
use crate::error::Result;

/// Queues an "add text" job: drawn locally, no operation, no billing.
pub fn enqueue_add_text(store: &Store, telegram_id: i64, job: &NewJob) -> Result<i64> {
    store.write(|tx| db::jobs::insert(tx, None, telegram_id, "add_text", job, crate::time::now()))
}

pub mod fal;
pub mod render;
pub mod worker;
