//! Plain types shared by the storage gateway, the billing rules and the edges.

use crate::money::Kopecks;
use std::fmt;
use std::str::FromStr;

/// A paid mode. "Add text" is free and drawn locally, so it is not one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Generate,
    Edit,
    Merge,
    FaceSwap,
    Retouch,
    Upscale,
}

impl Mode {
    pub const ALL: [Mode; 6] = [
        Mode::Generate,
        Mode::Edit,
        Mode::Merge,
        Mode::FaceSwap,
        Mode::Retouch,
        Mode::Upscale,
    ];

    /// The name stored in the database and printed by `stats`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Generate => "generate",
            Mode::Edit => "edit",
            Mode::Merge => "merge",
            Mode::FaceSwap => "face_swap",
            Mode::Retouch => "retouch",
            Mode::Upscale => "upscale",
        }
    }

    /// The fal.ai endpoint used when FAL_MODEL_<MODE> is not set.
    pub fn default_endpoint(self) -> &'static str {
        match self {
            Mode::Generate => "fal-ai/flux/schnell",
            Mode::Edit => "fal-ai/flux-pro/kontext",
            Mode::Merge => "fal-ai/nano-banana/edit",
            Mode::FaceSwap => "fal-ai/face-swap",
            Mode::Retouch => "fal-ai/retoucher",
            Mode::Upscale => "fal-ai/seedvr/upscale/image",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown mode {s:?}"))
    }
}

/// What paid for an operation, in the order billing tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidWith {
    FreeAccess,
    FreeOperation,
    Balance,
}

impl PaidWith {
    pub fn as_str(self) -> &'static str {
        match self {
            PaidWith::FreeAccess => "free_access",
            PaidWith::FreeOperation => "free_operation",
            PaidWith::Balance => "balance",
        }
    }

    pub fn parse(s: &str) -> Option<PaidWith> {
        match s {
            "free_access" => Some(PaidWith::FreeAccess),
            "free_operation" => Some(PaidWith::FreeOperation),
            "balance" => Some(PaidWith::Balance),
            _ => None,
        }
    }
}

/// One user as billing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub telegram_id: i64,
    pub username: Option<String>,
    pub language_code: Option<String>,
    pub balance: Kopecks,
    pub free_operations_left: i64,
    pub has_free_access: bool,
    /// A discount code applied in the payment menu, waiting for the next top-up.
    pub pending_discount_code: Option<String>,
    pub created_at: i64,
    /// What a refund the provider made on its own took beyond the balance: the next credits pay it
    /// first (SPEC §4).
    pub debt: Kopecks,
    /// When the user first wrote to the bot; None for a row the CLI made before any contact.
    pub first_update_at: Option<i64>,
    /// When a send found that the user blocked the bot; cleared when they write again.
    pub blocked_at: Option<i64>,
}

/// What a promo code does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoKind {
    /// Percent off the next top-up (paid amount), the full amount credited.
    Percent(u8),
    /// Sets free access.
    FreeAccess,
    /// Adds free operations.
    BonusOps(u32),
}

/// A promo code with its limits and use count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromoCode {
    pub code: String,
    pub kind: PromoKind,
    pub max_uses: Option<i64>,
    pub used_count: i64,
    /// Unix time from which the code no longer works.
    pub expires_at: Option<i64>,
    pub is_active: bool,
}

/// Why a code was not accepted; the bot turns each into a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    Unknown,
    Disabled,
    Expired,
    UsedUp,
    AlreadyUsed,
    /// A generation code entered for a top-up, or a discount code entered for generations.
    WrongKind,
}

/// Why a job failed, in words for the user. Stored in the failure notice's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobFailure {
    Timeout,
    Refused,
    Input,
    Service,
    /// Telegram would not take the made result (until DELIVERY_TIMEOUT_SECS, or the chat is gone).
    Undelivered,
    /// The photo is over the input limits (40 megapixels, 20 MB).
    TooLarge,
}

/// What a job works on, stored as JSON in `jobs.input`: the prompt (or the text to draw), the
/// Telegram file ids in the order the user sent them, and the language to answer in.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobInput {
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    pub lang: String,
}

impl JobInput {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn from_json(text: &str) -> Result<JobInput, String> {
        serde_json::from_str(text).map_err(|e| format!("bad job input: {e}"))
    }
}

/// Where a job is. `queued` → `running` → (`submitting` → `submitted` →) `delivering` → `done`, or
/// `failed` from anywhere; "add text" skips fal's two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Queued,
    Running,
    Submitting,
    Submitted,
    Delivering,
    Done,
    Failed,
}

impl JobStatus {
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Submitting,
        JobStatus::Submitted,
        JobStatus::Delivering,
        JobStatus::Done,
        JobStatus::Failed,
    ];

    /// The name stored in `jobs.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Submitting => "submitting",
            JobStatus::Submitted => "submitted",
            JobStatus::Delivering => "delivering",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        JobStatus::ALL
            .into_iter()
            .find(|j| j.as_str() == s)
            .ok_or_else(|| format!("unknown job status {s:?}"))
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a job does: a paid mode through fal, or "add text" drawn here for free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Paid(Mode),
    AddText,
}

impl JobKind {
    /// The name stored in `jobs.kind`: the mode's name, or `add_text`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Paid(m) => m.as_str(),
            JobKind::AddText => "add_text",
        }
    }
}

impl FromStr for JobKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "add_text" => Ok(JobKind::AddText),
            other => other.parse().map(JobKind::Paid),
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a checkout is refused; the bot turns each into a sentence the payer can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutRefusal {
    /// Not an invoice of ours, or of another user.
    Unknown,
    /// The invoice was paid, or canceled, already.
    Closed,
    /// Older than STARS_INVOICE_TTL_SECS.
    Expired,
    /// The amount or currency is not the invoice's.
    Changed,
}
