//! Plain types shared by the storage gateway, the billing rules and the edges.

use crate::money::Kopecks;
use std::fmt;
use std::str::FromStr;

/// An enum stored as text (a column, a JSON field): its names in one place, `as_str`, `ALL`, `Display`
/// and a `FromStr` for which an unknown name is an error, never a default. `db` maps each to SQL.
macro_rules! stored {
    ($(#[$meta:meta])* $name:ident $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name it is stored under.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!(concat!("unknown ", $what, " {:?}"), s))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

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
    /// One of a Stars plan's operations (PLANS).
    Plan,
}

impl PaidWith {
    pub fn as_str(self) -> &'static str {
        match self {
            PaidWith::FreeAccess => "free_access",
            PaidWith::FreeOperation => "free_operation",
            PaidWith::Balance => "balance",
            PaidWith::Plan => "plan",
        }
    }

    pub fn parse(s: &str) -> Option<PaidWith> {
        match s {
            "free_access" => Some(PaidWith::FreeAccess),
            "free_operation" => Some(PaidWith::FreeOperation),
            "balance" => Some(PaidWith::Balance),
            "plan" => Some(PaidWith::Plan),
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
    /// The operation code the user holds and its percent, while the code is active and unexpired
    /// (SPEC §4 "Operation codes").
    pub standing_discount: Option<(String, u8)>,
    /// Operations left in the user's running plan periods (PLANS), and when the last one ends.
    pub plan_operations_left: i64,
    pub plan_until: Option<i64>,
}

impl User {
    /// The next paid operation costs this user nothing: free access, or a free operation left
    /// (billing spends them in that order before the balance).
    pub fn next_is_free(&self) -> bool {
        self.has_free_access || self.plan_operations_left > 0 || self.free_operations_left > 0
    }

    /// What an operation listed at `price` costs this user from the balance: less their operation
    /// code's percent, rounded to kopecks, never under one kopeck.
    pub fn price_of(&self, price: Kopecks) -> Kopecks {
        match &self.standing_discount {
            Some((_, percent)) if price.is_positive() => discounted(price, *percent),
            _ => price,
        }
    }
}

/// `price` less `percent` %, rounded half up to kopecks, at least one kopeck.
pub fn discounted(price: Kopecks, percent: u8) -> Kopecks {
    let scaled = price.0 * (100 - i64::from(percent.min(99)));
    Kopecks(((scaled + 50) / 100).max(1))
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
    /// Percent off every paid operation while the user holds it (`--on operations`).
    OperationsPercent(u8),
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

/// A message the outbox delivers to a user after something changed their account: queued in the
/// transaction that made the change, delivered by the bot (after a restart too). Stored as a `kind`
/// and a JSON payload; `kind`/`payload` write it and `from_stored` reads it, here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A top-up was credited (either provider).
    TopupCredited {
        payment_id: String,
        amount: Kopecks,
        balance: Kopecks,
    },
    /// An administrator credited (or, negative, debited) the balance.
    Credited { amount: Kopecks, balance: Kopecks },
    /// Free access was granted (true) or revoked (false).
    FreeAccess(bool),
    /// A referral bonus: to the invited user, or (`inviter`) to the one who invited them.
    ReferralBonus {
        inviter: bool,
        bonus: i64,
        free_operations: i64,
    },
    /// A job failed; what it cost came back (`returned`, or a `free_operation`).
    JobFailed {
        job_id: i64,
        chat_id: i64,
        why: JobFailure,
        /// The language the job was asked in (empty: the user's).
        lang: String,
        returned: Kopecks,
        free_operation: bool,
        /// The balance after the refund (absent in notices queued by 0.3 and before).
        balance: Option<Kopecks>,
        /// The job's "accepted" message, replaced by this one when it can be edited.
        progress_message_id: Option<i64>,
    },
    /// A Stars plan period was granted: the first payment or a renewal (`renewal`).
    PlanGranted {
        plan: String,
        operations: i64,
        expires_at: i64,
        renewal: bool,
    },
    /// Telegram could not take the renewal payment of a plan.
    PlanRenewalFailed { plan: String },
    /// A user's support message, for one admin chat (the notice's addressee).
    SupportToAdmin { message_id: i64 },
    /// An admin's answer to a support ticket, for its user.
    SupportAnswer { message_id: i64 },
}

impl Notice {
    /// The name stored in `notices.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::TopupCredited { .. } => "topup_credited",
            Notice::Credited { .. } | Notice::FreeAccess(_) => "account_changed",
            Notice::ReferralBonus { .. } => "referral_bonus",
            Notice::JobFailed { .. } => "job_failed",
            Notice::PlanGranted { .. } => "plan_granted",
            Notice::PlanRenewalFailed { .. } => "plan_renewal_failed",
            Notice::SupportToAdmin { .. } => "support_to_admin",
            Notice::SupportAnswer { .. } => "support_answer",
        }
    }

    /// The JSON stored in `notices.payload` (amounts as decimal roubles, as 0.2 stored them).
    pub fn payload(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Notice::TopupCredited {
                payment_id,
                amount,
                balance,
            } => json!({"payment_id": payment_id, "amount": amount.to_decimal(),
                        "balance": balance.to_decimal()}),
            Notice::Credited { amount, balance } => json!({"change": "credit",
                "amount": amount.to_decimal(), "balance": balance.to_decimal()}),
            Notice::FreeAccess(on) => {
                json!({"change": if *on { "free_access_on" } else { "free_access_off" }})
            }
            Notice::ReferralBonus {
                inviter,
                bonus,
                free_operations,
            } => json!({"role": if *inviter { "inviter" } else { "invitee" }, "bonus": bonus,
                        "free_operations": free_operations}),
            Notice::JobFailed {
                job_id,
                chat_id,
                why,
                lang,
                returned,
                free_operation,
                balance,
                progress_message_id,
            } => {
                let mut p = json!({"job_id": job_id, "chat_id": chat_id, "why": why, "lang": lang,
                    "returned": returned.to_decimal(), "free_operation": free_operation});
                if let Some(m) = progress_message_id {
                    p["progress_message_id"] = (*m).into();
                }
                if let Some(b) = balance {
                    p["balance"] = b.to_decimal().into();
                }
                p
            }
            Notice::PlanGranted {
                plan,
                operations,
                expires_at,
                renewal,
            } => json!({"plan": plan, "operations": operations, "expires_at": expires_at,
                        "renewal": renewal}),
            Notice::PlanRenewalFailed { plan } => json!({"plan": plan}),
            Notice::SupportToAdmin { message_id } | Notice::SupportAnswer { message_id } => {
                json!({"message_id": message_id})
            }
        }
    }

    /// Reads a stored notice back. An unknown kind or a payload missing what its kind needs is an
    /// error (the outbox gives that notice up and says so), never a notice of "0 ₽".
    pub fn from_stored(kind: &str, payload: &str) -> Result<Notice, String> {
        let p: serde_json::Value =
            serde_json::from_str(payload).map_err(|e| format!("{kind} payload: {e}"))?;
        let field = |name: &str| {
            let v = &p[name];
            (!v.is_null())
                .then_some(v)
                .ok_or_else(|| format!("{kind} payload has no {name}"))
        };
        let money = |name: &str| -> Result<Kopecks, String> {
            field(name)?
                .as_str()
                .ok_or_else(|| format!("{kind} payload: {name} is not an amount"))
                .and_then(|s| Kopecks::parse_roubles(s, true))
        };
        let int = |name: &str| -> Result<i64, String> {
            field(name)?
                .as_i64()
                .ok_or_else(|| format!("{kind} payload: {name} is not a number"))
        };
        let text = |name: &str| -> Result<String, String> {
            field(name)?
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{kind} payload: {name} is not text"))
        };
        Ok(match kind {
            "topup_credited" => Notice::TopupCredited {
                payment_id: p["payment_id"].as_str().unwrap_or_default().to_string(),
                amount: money("amount")?,
                balance: money("balance")?,
            },
            "account_changed" => match field("change")?.as_str() {
                Some("credit") => Notice::Credited {
                    amount: money("amount")?,
                    balance: money("balance")?,
                },
                Some("free_access_on") => Notice::FreeAccess(true),
                Some("free_access_off") => Notice::FreeAccess(false),
                other => return Err(format!("unknown account change {other:?}")),
            },
            "referral_bonus" => Notice::ReferralBonus {
                inviter: match field("role")?.as_str() {
                    Some("inviter") => true,
                    Some("invitee") => false,
                    other => return Err(format!("unknown referral role {other:?}")),
                },
                bonus: int("bonus")?,
                free_operations: int("free_operations")?,
            },
            "job_failed" => Notice::JobFailed {
                job_id: int("job_id")?,
                chat_id: int("chat_id")?,
                why: serde_json::from_value(field("why")?.clone())
                    .map_err(|e| format!("job_failed payload: why: {e}"))?,
                lang: p["lang"].as_str().unwrap_or_default().to_string(),
                returned: money("returned")?,
                free_operation: p["free_operation"].as_bool().unwrap_or(false),
                balance: match p.get("balance") {
                    Some(_) => Some(money("balance")?),
                    None => None,
                },
                progress_message_id: p["progress_message_id"].as_i64(),
            },
            "plan_renewal_failed" => Notice::PlanRenewalFailed {
                plan: text("plan")?,
            },
            "plan_granted" => Notice::PlanGranted {
                plan: text("plan")?,
                operations: int("operations")?,
                expires_at: int("expires_at")?,
                renewal: p["renewal"].as_bool().unwrap_or(false),
            },
            "support_to_admin" => Notice::SupportToAdmin {
                message_id: int("message_id")?,
            },
            "support_answer" => Notice::SupportAnswer {
                message_id: int("message_id")?,
            },
            other => return Err(format!("unknown notice kind {other:?}")),
        })
    }
}

/// What a job works on, stored as JSON in `jobs.input`: the prompt (or the text to draw), the
/// Telegram file ids in the order the user sent them, the language to answer in, and the model and
/// format it was charged for (a job queued before the catalogue has neither: the mode's first model
/// runs it).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobInput {
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    pub lang: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Chosen>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// How "add text" draws (None: the default style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<TextStyle>,
}

/// How "add text" draws its words: size, colour, where on a 3×3 grid, and the plate behind them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextStyle {
    pub size: TextSize,
    pub color: TextColor,
    pub spot: Spot,
    pub plate: Plate,
}

impl Default for TextStyle {
    /// What 0.2 drew: mid-sized, readable on the picture, bottom centre, no plate.
    fn default() -> TextStyle {
        TextStyle {
            size: TextSize::M,
            color: TextColor::Auto,
            spot: Spot::BottomCenter,
            plate: Plate::None,
        }
    }
}

stored! {
    TextSize "text size" {
        S = "s",
        M = "m",
        L = "l",
        XL = "xl",
    }
}

stored! {
    /// `Auto` contrasts with the picture under the text.
    TextColor "text colour" {
        White = "white",
        Black = "black",
        Red = "red",
        Yellow = "yellow",
        Blue = "blue",
        Auto = "auto",
    }
}

stored! {
    /// A place on the picture's 3×3 grid, row by row.
    Spot "text position" {
        TopLeft = "tl",
        TopCenter = "tc",
        TopRight = "tr",
        MiddleLeft = "ml",
        Center = "mc",
        MiddleRight = "mr",
        BottomLeft = "bl",
        BottomCenter = "bc",
        BottomRight = "br",
    }
}

impl Spot {
    /// (row, column), each 0..=2.
    pub fn cell(self) -> (u8, u8) {
        let i = Spot::ALL.iter().position(|s| *s == self).unwrap_or(7) as u8;
        (i / 3, i % 3)
    }

    pub fn at(row: u8, col: u8) -> Spot {
        Spot::ALL[usize::from(row.min(2) * 3 + col.min(2))]
    }
}

stored! {
    /// A semi-transparent band behind the text, its background blurred.
    Plate "plate" {
        None = "none",
        Dark = "dark",
        Light = "light",
    }
}

/// The model a job was charged for, as the catalogue described it then: the job runs as it was sold
/// even if the catalogue changes before it does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Chosen {
    pub label: String,
    /// The fal endpoint.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formats: Option<FormatField>,
    /// The pictures go as an `image_urls` list (else one `image_url`).
    #[serde(default)]
    pub list: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    #[serde(default)]
    pub english: bool,
}

stored! {
    /// A picture format the user picks: the six that sellers need, and (for edits) the source's own.
    Format "format" {
        Square = "1:1",
        Portrait = "3:4",
        Landscape = "4:3",
        Social = "4:5",
        Story = "9:16",
        Banner = "16:9",
        Source = "source",
    }
}

impl Format {
    /// The six fixed formats, in the order the picker shows them.
    pub const SIX: [Format; 6] = [
        Format::Square,
        Format::Portrait,
        Format::Landscape,
        Format::Social,
        Format::Story,
        Format::Banner,
    ];

    /// Width and height of a picture of about one megapixel in this format (None: the source's).
    pub fn size(self) -> Option<(u32, u32)> {
        Some(match self {
            Format::Square => (1024, 1024),
            Format::Portrait => (896, 1200),
            Format::Landscape => (1200, 896),
            Format::Social => (928, 1160),
            Format::Story => (768, 1360),
            Format::Banner => (1360, 768),
            Format::Source => return None,
        })
    }
}

stored! {
    /// Which request field carries a model's format.
    FormatField "format field" {
        AspectRatio = "aspect_ratio",
        ImageSize = "image_size",
    }
}

impl JobInput {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    pub fn from_json(text: &str) -> Result<JobInput, String> {
        serde_json::from_str(text).map_err(|e| format!("bad job input: {e}"))
    }
}

stored! {
    /// Where a job is. `queued` → `running` → (`submitting` → `submitted` →) `delivering` → `done`, or
    /// `failed` from anywhere; "add text" skips fal's two.
    JobStatus "job status" {
        Queued = "queued",
        Running = "running",
        Submitting = "submitting",
        Submitted = "submitted",
        Delivering = "delivering",
        Done = "done",
        Failed = "failed",
    }
}

stored! {
    /// Why a ledger row exists.
    LedgerKind "ledger kind" {
        Signup = "signup",
        Topup = "topup",
        Charge = "charge",
        Refund = "refund",
        Adjustment = "adjustment",
        Promo = "promo",
        FreeAccess = "free_access",
    }
}

stored! {
    /// A top-up's status: YooKassa's own names, which Stars payments use too. `created` until the
    /// provider knows it; `succeeded`, `canceled` and `mismatch` (paid, but not what we asked) are final.
    PaymentStatus "payment status" {
        Created = "created",
        Pending = "pending",
        WaitingForCapture = "waiting_for_capture",
        Succeeded = "succeeded",
        Canceled = "canceled",
        Mismatch = "mismatch",
    }
}

stored! {
    /// Where a top-up's refund stands: `refunding` while the credit is held and the provider asked,
    /// `refunded` once it confirmed.
    RefundState "refund state" {
        Refunding = "refunding",
        Refunded = "refunded",
    }
}

stored! {
    /// What one check of a YooKassa payment came to: the label of its metric, and the outcome
    /// recorded on the notifications that asked for it.
    CheckOutcome "payment check outcome" {
        Credited = "credited",
        /// Paid, but another amount or currency than we asked: not credited.
        Mismatch = "mismatch",
        Canceled = "canceled",
        Pending = "pending",
        AlreadyFinal = "already_final",
        /// Not a payment of ours (or YooKassa does not know it).
        Unknown = "unknown",
        /// A test payment reported to a live shop.
        RefusedTest = "refused_test",
        /// The API's metadata names another payment of ours.
        MetadataMismatch = "metadata_mismatch",
        /// YooKassa could not be asked (counted; the notification stays for the next pass).
        ApiError = "api_error",
        /// YooKassa refused the question for good or answered unreadably.
        Error = "error",
    }
}

impl PaymentStatus {
    /// A final status never moves back (set_status refuses to).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentStatus::Succeeded | PaymentStatus::Canceled | PaymentStatus::Mismatch
        )
    }
}

stored! {
    /// Who took a top-up's money.
    Provider "payment provider" {
        YooKassa = "yookassa",
        Stars = "stars",
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

/// One event of a top-up's story (`payment show`, /payment): what happened, in order. `Display`
/// is the operator's English of the CLI; the bot says it in the admin's language (texts::admin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The draft: what it credits and what the payer pays (`paid` in kopecks, or whole Stars for
    /// `XTR`).
    Draft {
        credit: Kopecks,
        paid: i64,
        currency: String,
    },
    /// A YooKassa notification arrived (`payment.succeeded`, …).
    Notification(String),
    /// The API was asked about it; the stored outcome (a `CheckOutcome` name).
    Checked(String),
    /// A ledger row of this payment.
    Ledger {
        kind: String,
        amount: Kopecks,
        key: String,
    },
    Refunded,
}

impl PaymentEvent {
    /// What the payer pays, as text: kopecks as roubles, Stars as a whole number.
    pub fn paid_text(paid: i64, currency: &str) -> String {
        if currency == "XTR" {
            paid.to_string()
        } else {
            Kopecks(paid).to_decimal()
        }
    }
}

impl std::fmt::Display for PaymentEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PaymentEvent::Draft {
                credit,
                paid,
                currency,
            } => write!(
                f,
                "draft: {credit} credit, {} {currency} to pay",
                PaymentEvent::paid_text(*paid, currency)
            ),
            PaymentEvent::Notification(event) => write!(f, "notification {event} received"),
            PaymentEvent::Checked(outcome) => write!(f, "checked with the API: {outcome}"),
            PaymentEvent::Ledger { kind, amount, key } => {
                write!(f, "ledger {kind} {amount} ({key})")
            }
            PaymentEvent::Refunded => write!(f, "refunded"),
        }
    }
}
