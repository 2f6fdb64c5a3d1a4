//! `/admin`: the operator's pages. An admin's /web gives a one-time link (10 minutes) that opens a
//! 12-hour session kept server-side (only its hash) in an HttpOnly, Secure, SameSite=Strict cookie;
//! every request checks the session and that its owner is still in ADMIN_TELEGRAM_IDS. Pages: the
//! dashboard (the 30-day chart, revenue, cost, margin, the money split), users (search, one user's
//! ledger, jobs, payments), payments and a payment's story, the support inbox, broadcasts. Read only.

use super::table::{self, Table};
use super::{Page, Request, Web, digest, message, render, unavailable};
use crate::db::{Store, blocking};
use crate::error::Result;
use crate::money::Kopecks;
use crate::texts::{self, Lang};

/// A login link works this long, once.
pub const LOGIN_LINK_SECS: i64 = 600;
/// A session lasts this long.
pub const SESSION_SECS: i64 = 12 * 3600;

const COOKIE: &str = "ml_admin";

/// A new one-time login link for `admin` under `base` (WEB_BASE_URL).
pub fn login_link(store: &Store, base: &str, admin: i64) -> Result<String> {
    let token = crate::ids::random_id("")?;
    store.add_login_link(admin, &digest(&token), crate::time::now() + LOGIN_LINK_SECS)?;
    Ok(format!("{base}/admin/login?token={token}"))
}

#[derive(askama::Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    lang: &'a str,
    title: String,
    cards: Vec<(String, String)>,
    chart: bool,
    search: Option<String>,
    lines: Vec<String>,
    tables: Vec<Table>,
}

impl AdminPage<'_> {
    fn new(title: impl Into<String>) -> Self {
        AdminPage {
            lang: "ru",
            title: title.into(),
            cards: Vec::new(),
            chart: false,
            search: None,
            lines: Vec::new(),
            tables: Vec::new(),
        }
    }
}

fn session_id(req: &Request<'_>) -> Option<String> {
    req.cookie?
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

pub async fn page(web: &Web, req: &Request<'_>) -> Page {
    let admins = &web.config.telegram.admin_telegram_ids;
    if req.path == "/admin/login" {
        return login(web, req).await;
    }
    let session = session_id(req);
    let admin = match &session {
        Some(id) => {
            let (store, hash) = (web.store.clone(), digest(id));
            match blocking(move || store.session_admin(&hash)).await {
                Ok(admin) => admin.filter(|a| admins.contains(a)),
                Err(e) => return unavailable(e),
            }
        }
        None => None,
    };
    let Some(admin) = admin else {
        return message(
            401,
            "Вход в панель",
            "Чтобы войти, отправьте боту /web: он пришлёт ссылку для входа (действует 10 минут, один раз).",
            false,
        );
    };
    let read = match req.path {
        "/admin" | "/admin/" => dashboard(web).await,
        "/admin/chart.png" => chart(web).await,
        "/admin/users" => users(web, req.param("q").unwrap_or_default()).await,
        "/admin/user" => user(web, req.param("id")).await,
        "/admin/payments" => payments(web).await,
        "/admin/payment" => payment(web, req.param("id")).await,
        "/admin/support" => support(web).await,
        "/admin/ticket" => ticket(web, req.param("id")).await,
        "/admin/broadcasts" => broadcasts(web).await,
        "/admin/logout" => {
            let (store, hash) = (web.store.clone(), session.as_deref().map(digest));
            if let Err(e) = blocking(move || store.revoke_sessions(hash.as_deref(), None)).await {
                return unavailable(e);
            }
            tracing::info!(admin, "admin pages: signed out");
            return message(
                200,
                "Вы вышли",
                "Сессия закрыта. Новая ссылка — /web в боте.",
                false,
            )
            .with("set-cookie", cookie("", 0));
        }
        _ => return message(404, "Не найдено", "Такой страницы нет.", false),
    };
    read.unwrap_or_else(unavailable)
}

/// The session cookie: HttpOnly (no script reads it), Secure, SameSite=Strict, for /admin only.
fn cookie(value: &str, max_age: i64) -> String {
    format!("{COOKIE}={value}; Path=/admin; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

async fn login(web: &Web, req: &Request<'_>) -> Page {
    let Some(token) = req.param("token") else {
        return message(
            400,
            "Вход в панель",
            "В ссылке нет ключа. Отправьте боту /web.",
            false,
        );
    };
    let session = match crate::ids::random_id("") {
        Ok(id) => id,
        Err(e) => return unavailable(e),
    };
    let (store, token_hash, session_hash) = (web.store.clone(), digest(&token), digest(&session));
    let until = crate::time::now() + SESSION_SECS;
    let admin =
        match blocking(move || store.use_login_link(&token_hash, &session_hash, until)).await {
            Ok(admin) => admin,
            Err(e) => return unavailable(e),
        };
    match admin.filter(|a| web.config.telegram.admin_telegram_ids.contains(a)) {
        Some(admin) => {
            tracing::info!(admin, "admin pages: signed in");
            Page::redirect("/admin").with("set-cookie", cookie(&session, SESSION_SECS))
        }
        None => message(
            401,
            "Ссылка не подходит",
            "Эта ссылка уже использована или устарела. Отправьте боту /web за новой.",
            false,
        ),
    }
}

fn money(k: i64) -> String {
    texts::money(Lang::Ru, Kopecks(k))
}

async fn dashboard(web: &Web) -> Result<Page> {
    let store = web.store.clone();
    let s = blocking(move || store.stats()).await?;
    let mut page = AdminPage::new("Сводка");
    page.chart = true;
    page.cards = vec![
        ("Пользователей".into(), s.users.to_string()),
        ("Оплачено картой".into(), money(s.revenue_kopecks)),
        (
            "Звёзды: пополнения".into(),
            format!("{} ⭐", s.revenue_stars),
        ),
        ("Звёзды: подписки".into(), format!("{} ⭐", s.plan_stars)),
        ("Зачислено".into(), money(s.credited_kopecks)),
        ("Начислено админами".into(), money(s.free_credits_kopecks)),
        (
            "Выручка операций".into(),
            money(s.operations_revenue_kopecks),
        ),
        ("Себестоимость".into(), money(s.cost_kopecks)),
        ("Маржа".into(), money(s.margin_kopecks)),
        ("На балансах".into(), money(s.balances_kopecks)),
        ("Задач в работе".into(), s.jobs_in_flight.to_string()),
    ];
    page.lines = vec![
        format!(
            "Бесплатных операций выдано: {} ({})",
            s.free_ops_given(),
            texts::counts(Lang::Ru, &s.free_ops_granted)
        ),
        format!(
            "Выполнено операций по способу оплаты: {}",
            texts::counts(Lang::Ru, &s.done_by_payment)
        ),
    ];
    use crate::db::export::economics;
    page.tables = vec![
        table::of(&economics("По режимам", &s.by_mode, false)),
        table::of(&economics("По моделям", &s.by_model, true)),
    ];
    Ok(render(200, &page))
}

async fn chart(web: &Web) -> Result<Page> {
    let store = web.store.clone();
    let png = blocking(move || crate::chart::render(&store.daily(crate::chart::DAYS)?)).await?;
    Ok(Page::bytes("image/png", png))
}

async fn users(web: &Web, q: String) -> Result<Page> {
    let (store, query) = (web.store.clone(), q.clone());
    let found = blocking(move || store.users_table(&query, 100)).await?;
    let mut page = AdminPage::new("Пользователи");
    page.search = Some(q);
    page.tables = vec![table::of(&found)];
    Ok(render(200, &page))
}

async fn user(web: &Web, id: Option<String>) -> Result<Page> {
    let Some(id) = id.and_then(|i| i.trim().parse::<i64>().ok()) else {
        return Ok(message(
            404,
            "Не найдено",
            "Нет такого пользователя.",
            false,
        ));
    };
    let store = web.store.clone();
    let (user, sheets) = blocking(move || Ok((store.user(id)?, store.user_tables(id)?))).await?;
    let Some(u) = user else {
        return Ok(message(
            404,
            "Не найдено",
            "Нет такого пользователя.",
            false,
        ));
    };
    let name = u
        .username
        .as_deref()
        .map(|n| format!(" (@{n})"))
        .unwrap_or_default();
    let mut page = AdminPage::new(format!("Пользователь {id}{name}"));
    page.cards = vec![
        ("Баланс".into(), texts::money(Lang::Ru, u.balance)),
        (
            "Бесплатных операций".into(),
            u.free_operations_left.to_string(),
        ),
        (
            "Безлимит".into(),
            (if u.has_free_access { "да" } else { "нет" }).into(),
        ),
    ];
    if u.debt.is_positive() {
        page.cards
            .push(("Долг".into(), texts::money(Lang::Ru, u.debt)));
    }
    if let Some((code, p)) = &u.standing_discount {
        page.cards
            .push(("Код на операции".into(), format!("{code} −{p} %")));
    }
    if let Some(until) = u.plan_until {
        page.cards.push((
            "Подписка".into(),
            format!(
                "{} оп. до {}",
                u.plan_operations_left,
                crate::time::day_month_year(until)
            ),
        ));
    }
    // A user who never had a plan has no «Подписка» table.
    page.tables = sheets
        .iter()
        .filter(|s| s.name != "Подписка" || !s.rows.is_empty())
        .map(table::of)
        .collect();
    Ok(render(200, &page))
}

async fn payments(web: &Web) -> Result<Page> {
    let store = web.store.clone();
    let sheet = blocking(move || store.payments_table(200)).await?;
    let mut page = AdminPage::new("Платежи");
    page.tables = vec![table::of(&sheet)];
    Ok(render(200, &page))
}

async fn payment(web: &Web, id: Option<String>) -> Result<Page> {
    let Some(id) = id.filter(|i| !i.trim().is_empty() && i.len() <= 128) else {
        return Ok(message(404, "Не найдено", "Нет такого платежа.", false));
    };
    let store = web.store.clone();
    let Some((p, events)) = blocking(move || store.payment_story(id.trim())).await? else {
        return Ok(message(404, "Не найдено", "Нет такого платежа.", false));
    };
    let mut page = AdminPage::new(format!("Платёж {}", p.id));
    page.cards = vec![
        ("Провайдер".into(), p.provider.to_string()),
        ("Пользователь".into(), p.telegram_id.to_string()),
        ("Зачисление".into(), texts::money(Lang::Ru, p.amount)),
        (
            "Оплачено".into(),
            texts::paid_amount(Lang::Ru, p.charge_amount.0, &p.currency),
        ),
        ("Статус".into(), p.status.as_str().to_string()),
    ];
    page.lines = events
        .iter()
        .map(|(at, what)| format!("{} — {what}", crate::time::day_and_time(*at)))
        .collect();
    Ok(render(200, &page))
}

async fn support(web: &Web) -> Result<Page> {
    use crate::db::export::{Cell, Col, Sheet};
    let store = web.store.clone();
    let tickets = blocking(move || store.tickets(false, 200)).await?;
    let mut page = AdminPage::new("Поддержка");
    page.tables = vec![table::of(&Sheet {
        name: "Обращения",
        columns: vec![
            ("Обращение", Col::Number),
            ("Пользователь", Col::Number),
            ("Открыто", Col::Flag),
            ("Обновлено", Col::Time),
            ("Сообщений", Col::Number),
            ("Последнее", Col::Text),
        ],
        rows: tickets
            .iter()
            .map(|t| {
                vec![
                    Cell::Int(t.id),
                    Cell::Int(t.telegram_id),
                    Cell::Flag(t.open),
                    Cell::Time(t.updated_at),
                    Cell::Int(t.messages),
                    Cell::Text(t.last.clone()),
                ]
            })
            .collect(),
    })];
    Ok(render(200, &page))
}

async fn ticket(web: &Web, id: Option<String>) -> Result<Page> {
    let Some(id) = id.and_then(|i| i.trim().parse::<i64>().ok()) else {
        return Ok(message(404, "Не найдено", "Нет такого обращения.", false));
    };
    let store = web.store.clone();
    let Some((t, messages)) = blocking(move || store.ticket(id)).await? else {
        return Ok(message(404, "Не найдено", "Нет такого обращения.", false));
    };
    let mut page = AdminPage::new(format!("Обращение {id}"));
    page.cards = vec![
        ("Пользователь".into(), t.telegram_id.to_string()),
        (
            "Статус".into(),
            (if t.open {
                "открыто"
            } else {
                "закрыто"
            })
            .into(),
        ),
    ];
    page.lines = messages
        .iter()
        .map(|m| {
            let who = if m.from_admin {
                "Поддержка"
            } else {
                "Пользователь"
            };
            format!(
                "{} {who}: {}",
                crate::time::day_and_time(m.created_at),
                m.text
            )
        })
        .collect();
    page.lines
        .push("Ответить: /reply в боте или `media-lab support reply`.".into());
    Ok(render(200, &page))
}

async fn broadcasts(web: &Web) -> Result<Page> {
    let store = web.store.clone();
    let sheet = blocking(move || store.broadcasts_table(100)).await?;
    let mut page = AdminPage::new("Рассылки");
    page.tables = vec![table::of(&sheet)];
    Ok(render(200, &page))
}
