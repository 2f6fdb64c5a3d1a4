//! Telegram Stars in the payment processor: the second net under `successful_payment` (SPEC §5b).
//! The Stars top-up itself (invoice, pre-checkout, credit) runs in the bot and in `billing::stars`;
//! `reconcile` pages Telegram's Star transactions for this pass and for the CLI.

use super::Payments;
use super::reconcile::Finding;
use crate::db::blocking;

/// Each Stars pass looks back this far before its last checkpoint: an overlap, since crediting twice
/// is impossible and missing one is not.
const STARS_OVERLAP_SECS: i64 = 3600;
/// A first Stars pass (no checkpoint yet) looks back this far.
const STARS_FIRST_LOOK_SECS: i64 = 7 * 86_400;

impl Payments {
    /// The second net under `successful_payment` (SPEC §5b): Star transactions since the last
    /// checkpoint, credited when ours and missing, refunds debited when we lack them.
    pub(super) async fn reconcile_stars_since_checkpoint(&self) {
        if self.bot.is_none() || !self.config.payments.stars_enabled {
            return;
        }
        let started = crate::time::now();
        let store = self.store.clone();
        let since = match blocking(move || store.checkpoint(STARS_CHECKPOINT)).await {
            Ok(Some(at)) => at - STARS_OVERLAP_SECS,
            Ok(None) => started - STARS_FIRST_LOOK_SECS,
            Err(e) => {
                tracing::warn!(error = %e, "Stars reconciler: no checkpoint");
                return;
            }
        };
        match self.reconcile_stars(since).await {
            Ok(found) => {
                for f in &found {
                    match &f.finding {
                        Finding::Credited { .. } => {
                            tracing::warn!(charge = %f.id, detail = %f.detail,
                            "Stars reconciler: a paid Star payment was not credited; credited now")
                        }
                        Finding::RefundDebited { .. } | Finding::PlanRefunded { .. } => {
                            tracing::warn!(charge = %f.id, detail = %f.detail,
                            "Stars reconciler: a Stars refund was not recorded; debited now")
                        }
                        _ => {}
                    }
                }
                let store = self.store.clone();
                if let Err(e) =
                    blocking(move || store.set_checkpoint(STARS_CHECKPOINT, started)).await
                {
                    tracing::warn!(error = %e, "Stars reconciler: checkpoint not saved");
                }
            }
            Err(e) => tracing::warn!(error = %e, "Stars reconciler: Telegram could not be asked"),
        }
    }
}

/// The checkpoint of the Stars reconciler: the start of its last complete pass.
const STARS_CHECKPOINT: &str = "stars_reconciled_at";
