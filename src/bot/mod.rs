//! The Telegram bot: long polling against TELEGRAM_API_URL, one `schema()` routing every command,
//! button press and dialogue step, dialogue state kept in our SQLite file.

mod backups;
mod broadcasts;
mod flows;
mod intent;
mod keyboards;
mod notices;
mod preview;
mod support;
mod turn;
mod updates;
mod wish;

use crate::actions::Action;
use crate::billing::Billing;
use crate::config::Config;
use crate::db::{Store, blocking};
use crate::error::{Error, Result};
use crate::payments::Payments;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use teloxide::dispatching::dialogue::{Dialogue, Storage};
use teloxide::dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler};
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;
use tokio::sync::watch;
use turn::{Input, Turn};

pub use backups::schedule as schedule_backups;
pub use broadcasts::run as send_broadcasts;
pub use notices::deliver_notices;

/// What a handler wakes after queueing work for a task `app::run` started.
#[derive(Clone)]
pub struct Wakes {
    /// The worker pool, after a job is queued.
    pub jobs: Arc<tokio::sync::Notify>,
    /// The notices outbox, after a credit queued one.
    pub notices: Arc<tokio::sync::Notify>,
    /// The broadcast sender, after an admin started one.
    pub broadcasts: Arc<tokio::sync::Notify>,
}

/// What a chat is in the middle of. Stored as JSON in `dialogues`, so a restart keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    #[default]
    Idle,
    Generate,
    /// Edit and merge collect pictures (one by one, or an album whose caption is the request)
    /// until the request comes.
    Edit {
        #[serde(default)]
        photos: Vec<String>,
        #[serde(default)]
        group: Option<String>,
        #[serde(default)]
        caption: Option<String>,
    },
    Merge {
        #[serde(default)]
        photos: Vec<String>,
        #[serde(default)]
        group: Option<String>,
        #[serde(default)]
        caption: Option<String>,
    },
    FaceSwap {
        face: Option<String>,
    },
    Retouch,
    /// Retouch has its photo: an instruction of the user's own, or «Пропустить».
    RetouchWish {
        photo: String,
    },
    Upscale,
    AddText {
        photo: Option<String>,
    },
    /// "Add text" has its photo and words: the style is chosen on a preview (`preview` is that
    /// message) until ✅.
    TextStyle {
        photo: String,
        text: String,
        style: crate::model::TextStyle,
        preview: Option<i32>,
    },
    DiscountCode,
    GenerationCode,
    CustomAmount,
    /// An admin's next message is a broadcast's text.
    BroadcastText,
    /// A broadcast previewed, waiting for the admin's confirmation.
    BroadcastReady {
        text: String,
        entities: Option<String>,
    },
    /// The next message goes to support (the user's open ticket, or a new one).
    Support,
    /// The next messages are questions to 🤖.
    Assistant,
    /// The next message is an idea for ✍️.
    Write,
    /// Something sent outside any mode, kept while the user picks what to do with it.
    Offered {
        prompt: Option<String>,
        photo: Option<String>,
    },
}

/// Everyone's commands; their doc comments are the descriptions Telegram shows.
#[derive(BotCommands, Clone, Debug)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Главное меню
    Start(String),
    /// Баланс и пополнение
    Balance,
    /// Что умеет бот
    Help,
    /// Отменить текущее действие
    Cancel,
    /// Вопросы об оплате
    Paysupport,
    /// Условия использования
    Terms,
    /// Конфиденциальность
    Privacy,
}

/// The commands of ADMIN_TELEGRAM_IDS, routed only for them (for anyone else they are unknown
/// commands); shown in their own command menu.
#[derive(BotCommands, Clone, Debug)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    /// Админ: сводка
    Stats,
    /// Админ: безлимитный доступ — /grant ID
    Grant(String),
    /// Админ: начислить или списать — /credit ID СУММА
    Credit(String),
    /// Админ: история платежа — /payment ID
    Payment(String),
    /// Админ: резервная копия базы
    Backup,
    /// Админ: рассылка всем пользователям
    Broadcast,
    /// Админ: ответить на обращение — /reply НОМЕР текст
    Reply(String),
    /// Админ: закрыть обращение — /close НОМЕР
    Close(String),
    /// Админ: выгрузка в Excel
    Export,
    /// Админ: ссылка для входа в веб-панель (/web off — закрыть сессии)
    Web(String),
}

/// Everything a handler needs, injected once.
#[derive(Clone)]
pub struct Ctx {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub billing: Billing,
    pub payments: Payments,
    /// Where YooKassa sends payers back: YOOKASSA_RETURN_URL or the bot's own t.me link.
    pub return_url: String,
    /// The bot's @username, for invite links.
    pub bot_username: String,
    /// Wakes the worker pool after a job is queued.
    pub jobs: Arc<tokio::sync::Notify>,
    /// Wakes the notices outbox after a credit queued one.
    pub notices: Arc<tokio::sync::Notify>,
    /// Wakes the broadcast sender after an admin started one.
    pub broadcasts: Arc<tokio::sync::Notify>,
    /// What happened a moment ago: double taps, 🔄 cool-downs.
    pub recent: Arc<Recent>,
    /// Photos reduced for "add text" previews.
    pub previews: Arc<preview::Previews>,
    /// fal.ai for the assistant's language model (None without FAL_KEY).
    pub fal: Option<Arc<crate::jobs::fal::Fal>>,
}

/// Keys seen recently, each with when: "has this happened within the last N seconds?". In memory:
/// a restart forgets, which only lets one more press or question through.
#[derive(Default)]
pub struct Recent(std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>);

impl Recent {
    /// True, and remembered, when `key` was not seen within `window`; false when it was.
    pub fn first_within(&self, key: &str, window: Duration) -> bool {
        let now = std::time::Instant::now();
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, at| now.duration_since(*at) < Duration::from_secs(60));
        }
        match seen.get(key) {
            Some(at) if now.duration_since(*at) < window => false,
            _ => {
                seen.insert(key.to_string(), now);
                true
            }
        }
    }
}

pub type Dlg = Dialogue<State, DialogueStore>;
/// The Bot API client every handler sends through: paced under Telegram's limits, waiting out a
/// 429's `retry_after` instead of dropping the reply (SPEC §6).
pub type Tg = crate::jobs::worker::Sender;
type HandlerError = Box<dyn std::error::Error + Send + Sync>;
type HandlerResult = std::result::Result<(), HandlerError>;

/// Dialogue storage on our own SQLite file (teloxide's would bring a second SQLite and sqlx).
pub struct DialogueStore(Arc<Store>);

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Storage<State> for DialogueStore {
    type Error = Error;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<Result<()>> {
        Box::pin(async move {
            let store = self.0.clone();
            blocking(move || store.remove_dialogue(chat_id.0)).await
        })
    }

    fn update_dialogue(self: Arc<Self>, chat_id: ChatId, state: State) -> BoxFuture<Result<()>> {
        Box::pin(async move {
            let store = self.0.clone();
            let json = serde_json::to_string(&state)
                .map_err(|e| Error::internal(format!("a dialogue state: {e}")))?;
            blocking(move || store.set_dialogue(chat_id.0, &json)).await
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<Result<Option<State>>> {
        Box::pin(async move {
            let store = self.0.clone();
            let json = blocking(move || store.dialogue(chat_id.0)).await?;
            // A state written by another version that no longer parses is a fresh start, not an error.
            Ok(json.map(|j| serde_json::from_str(&j).unwrap_or_default()))
        })
    }
}

/// Routes every update, in order: a message first gets its `Turn` (the user, created on first
/// contact) and its `Input`; then commands (admins' behind their filter), unknown commands, a photo
/// over the limits, and finally the dialogue state decides what the message means. A button press
/// gets its `Turn` and its typed `Action`, or is answered as stale. Anything else (edited messages,
/// channel posts, …) falls to the dispatcher's default handler.
pub fn schema() -> UpdateHandler<HandlerError> {
    use dptree::case;
    use flows::{account, admin, assistant, modes, overlay, start, support, topup, writer};
    let by_state = dptree::entry()
        .branch(case![State::Idle].endpoint(start::idle))
        .branch(case![State::Offered { prompt, photo }].endpoint(start::idle))
        .branch(case![State::BroadcastText].endpoint(admin::broadcast_text))
        .branch(case![State::BroadcastReady { text, entities }].endpoint(start::idle))
        .branch(case![State::Generate].endpoint(modes::generate))
        .branch(
            case![State::Edit {
                photos,
                group,
                caption
            }]
            .endpoint(modes::edit),
        )
        .branch(
            case![State::Merge {
                photos,
                group,
                caption
            }]
            .endpoint(modes::merge),
        )
        .branch(case![State::RetouchWish { photo }].endpoint(modes::retouch_wish))
        .branch(case![State::FaceSwap { face }].endpoint(modes::face_swap))
        .branch(case![State::Retouch].endpoint(modes::one_photo))
        .branch(case![State::Upscale].endpoint(modes::one_photo))
        .branch(case![State::AddText { photo }].endpoint(overlay::add_text))
        .branch(
            case![State::TextStyle {
                photo,
                text,
                style,
                preview
            }]
            .endpoint(overlay::restyle),
        )
        .branch(case![State::Support].endpoint(support::message))
        .branch(case![State::Assistant].endpoint(assistant::question))
        .branch(case![State::Write].endpoint(writer::idea))
        .branch(case![State::DiscountCode].endpoint(account::discount_code))
        .branch(case![State::GenerationCode].endpoint(account::generation_code))
        .branch(case![State::CustomAmount].endpoint(topup::custom_amount));
    let messages = Update::filter_message()
        .enter_dialogue::<Message, DialogueStore, State>()
        .filter_map_async(Turn::of_message)
        .map(Input::of)
        .branch(
            dptree::filter_map(|msg: Message| msg.successful_payment().cloned())
                .endpoint(topup::paid),
        )
        .branch(
            dptree::filter_map(|msg: Message| match msg.kind {
                teloxide::types::MessageKind::RefundedPayment(r) => Some(r.refunded_payment),
                _ => None,
            })
            .endpoint(topup::refunded),
        )
        .branch(
            dptree::filter(|turn: Turn| turn.is_admin())
                .filter_command::<AdminCommand>()
                .endpoint(admin::on_command),
        )
        .branch(
            dptree::filter_map(|turn: Turn, msg: Message| {
                let replied = msg.reply_to_message()?;
                (turn.is_admin() && replied.from.as_ref().is_some_and(|f| f.is_bot))
                    .then_some(i64::from(replied.id.0))
            })
            .filter_map_async(support::copy_replied)
            .endpoint(support::admin_reply),
        )
        .branch(
            dptree::entry()
                .filter_command::<Command>()
                .endpoint(start::on_command),
        )
        .branch(dptree::filter(|input: Input| input.is_command()).endpoint(start::unknown_command))
        .branch(dptree::filter(|input: Input| input.too_large).endpoint(start::too_large))
        .branch(by_state);
    let presses = Update::filter_callback_query()
        .enter_dialogue::<CallbackQuery, DialogueStore, State>()
        .filter_map_async(Turn::of_callback)
        .branch(
            dptree::filter_map(|q: CallbackQuery, ctx: Ctx| {
                Action::parse(q.data.as_deref()?, &ctx.config)
            })
            .endpoint(flows::on_action),
        )
        .endpoint(flows::stale_button);
    let checkouts = Update::filter_pre_checkout_query().endpoint(topup::pre_checkout);
    // Kinds newer than teloxide, read from the raw update (`updates::Newer`).
    let subscriptions = dptree::filter_map(|newer: updates::Newer| newer.subscription)
        .endpoint(flows::plans::subscription_changed);
    dptree::entry()
        .branch(messages)
        .branch(presses)
        .branch(checkouts)
        .branch(subscriptions)
}

/// Builds the Bot API client for TELEGRAM_API_URL with our timeouts.
pub fn client(config: &Config) -> Result<Bot> {
    let token = config
        .telegram
        .telegram_bot_token
        .as_ref()
        .ok_or_else(|| Error::Config {
            var: "TELEGRAM_BOT_TOKEN",
            msg: "is required".into(),
        })?;
    // teloxide appends `bot<token>/<method>` as path segments, so a base with a path works as is.
    let url =
        reqwest::Url::parse(&config.telegram.telegram_api_url).map_err(|e| Error::Config {
            var: "TELEGRAM_API_URL",
            msg: e.to_string(),
        })?;
    crate::telegram::set_api_host(url.host_str().unwrap_or("the Bot API"));
    // Long polls wait up to POLL_TIMEOUT on the server; the client waits a little longer.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(POLL_TIMEOUT + Duration::from_secs(20))
        .build()
        .map_err(|e| Error::Config {
            var: "TELEGRAM_API_URL",
            msg: e.to_string(),
        })?;
    Ok(Bot::with_client(token.expose(), http).set_api_url(url))
}

use updates::POLL_TIMEOUT;
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs the bot until `shutdown` flips: waits for Telegram with backoff (never panics when it is
/// unreachable), tells Telegram its commands and descriptions, then long-polls and dispatches.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    bot: Bot,
    sender: Tg,
    config: Arc<Config>,
    store: Arc<Store>,
    billing: Billing,
    payments: Payments,
    wakes: Wakes,
    username: Arc<std::sync::OnceLock<String>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut delay = Duration::from_secs(1);
    let me = loop {
        match bot.get_me().await {
            Ok(me) => break me,
            Err(e) => {
                tracing::warn!(error = %crate::telegram::describe(&e), retry_in = ?delay, "Telegram is not reachable yet");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = shutdown.changed() => return,
                }
                delay = (delay * 2).min(Duration::from_secs(60));
            }
        }
    };
    tracing::info!(username = %me.username(), "bot connected");
    let _ = username.set(me.username().to_string());
    if let Some(base) = &config.web.web_base_url {
        keyboards::offer_gallery(&format!("{base}/app"));
    }
    introduce(&bot, &config).await;
    let return_url = config
        .payments
        .yookassa_return_url
        .clone()
        .unwrap_or_else(|| format!("https://t.me/{}", me.username()));
    // The worker built the same client at start, so this cannot fail differently; a failure only
    // leaves the assistant off.
    let fal = match crate::jobs::fal::Fal::from_config(&config) {
        Ok(f) => f.map(Arc::new),
        Err(e) => {
            tracing::error!(error = %e, "no fal.ai client for the assistant");
            None
        }
    };
    let ctx = Ctx {
        config,
        store: store.clone(),
        billing,
        payments,
        return_url,
        bot_username: me.username().to_string(),
        jobs: wakes.jobs,
        notices: wakes.notices,
        broadcasts: wakes.broadcasts,
        recent: Arc::new(Recent::default()),
        previews: Arc::new(preview::Previews::default()),
        fal,
    };
    let deps = dptree::deps![
        sender.clone(),
        me,
        ctx,
        Arc::new(DialogueStore(store.clone()))
    ];
    updates::run(sender, store, schema(), deps, SHUTDOWN_GRACE, shutdown).await;
    tracing::info!("bot stopped");
}

/// Tells Telegram what the bot offers: the command menus (Russian, English, the admins') and the
/// descriptions a new user sees before pressing Start. Failures are logged: the bot works without.
async fn introduce(bot: &Bot, config: &Config) {
    // The command menu in Russian for everyone, and in English for English-speaking clients.
    if let Err(e) = bot.set_my_commands(Command::bot_commands()).await {
        tracing::warn!(error = %e, "could not set the command list");
    }
    let english: Vec<teloxide::types::BotCommand> = Command::bot_commands()
        .into_iter()
        .map(|c| {
            let description = crate::texts::command_description_en(&c.command);
            teloxide::types::BotCommand::new(c.command, description)
        })
        .collect();
    if let Err(e) = bot.set_my_commands(english).language_code("en").await {
        tracing::warn!(error = %e, "could not set the English command list");
    }
    // What a new user sees before pressing Start (and in the bot's profile), in both languages.
    for (lang, code) in [
        (crate::texts::Lang::Ru, None),
        (crate::texts::Lang::En, Some("en")),
    ] {
        let mut description = bot
            .set_my_description()
            .description(crate::texts::bot_description(lang));
        let mut short = bot
            .set_my_short_description()
            .short_description(crate::texts::bot_short_description(lang));
        if let Some(code) = code {
            description = description.language_code(code);
            short = short.language_code(code);
        }
        if let Err(e) = description.await {
            tracing::warn!(error = %e, "could not set the bot's description");
        }
        if let Err(e) = short.await {
            tracing::warn!(error = %e, "could not set the bot's short description");
        }
    }
    // Admins see their commands too, in their own chats' command menu.
    let mut admin_menu = Command::bot_commands();
    admin_menu.extend(AdminCommand::bot_commands());
    for &admin in &config.telegram.admin_telegram_ids {
        let scope = teloxide::types::BotCommandScope::Chat {
            chat_id: teloxide::types::Recipient::Id(ChatId(admin)),
        };
        if let Err(e) = bot.set_my_commands(admin_menu.clone()).scope(scope).await {
            tracing::warn!(admin, error = %e, "could not set an admin's command list");
        }
    }
}
