//! Image jobs. Paid jobs are queued by `Billing::reserve` together with their charge; free "add text"
//! jobs by `Store::queue_add_text`. The worker pool runs both.

pub mod fal;
pub mod render;
pub mod text;
pub mod worker;
