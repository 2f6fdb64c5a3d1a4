//! `/app`, the Mini App: the viewer's kept results (full-size downloads from the kept files), balance
//! and history, and links back into the bot. The page is opened with Telegram's initData (the
//! `Authorization: tma …` header, or the `initData` parameter the launch page sends once), checked
//! before anything is read; its links to files are signed for that viewer and that result until the
//! launch expires (`initdata::FileLinks`), so they carry no launch data and Telegram's downloader
//! can fetch them. A viewer sees only their own work.

use super::{Page, Request, Web, image_type, message, render, unavailable};
use crate::db::blocking;
use crate::initdata::{self, FileLinks, WebUser};
use crate::texts::{self, Lang};

/// Results shown at most.
const GALLERY_SIZE: u32 = 60;

pub async fn page(web: &Web, req: &Request<'_>) -> Page {
    let rest = req.path.strip_prefix("/app").unwrap_or_default();
    let token = web
        .config
        .telegram
        .telegram_bot_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .unwrap_or_default();
    let job = rest
        .strip_prefix("/file/")
        .and_then(|id| id.parse::<i64>().ok());
    // A signed link from the gallery opens its one result.
    if let Some(job) = job
        && let (Some(u), Some(e), Some(sig)) = (req.param("u"), req.param("e"), req.param("s"))
        && let Some(user) = FileLinks::new(&token).check(job, &u, &e, &sig, crate::time::now())
    {
        return file(web, user, job, req.param("view").is_some()).await;
    }
    let init = req
        .authorization
        .and_then(|a| a.strip_prefix("tma "))
        .map(str::to_string)
        .or_else(|| req.param("initData"));
    let Some(init) = init else {
        return match rest {
            // The launch: Telegram's data is in the fragment, which the page's script reads.
            "" | "/" => message(
                200,
                "🖼 Мои работы",
                "Откройте эту страницу в Telegram: кнопка «🖼 Мои работы» в меню бота.",
                true,
            ),
            _ => message(401, "Нет доступа", "Откройте «🖼 Мои работы» в боте.", false),
        };
    };
    let user = match initdata::verify(&init, &token, crate::time::now()) {
        Ok(user) => user,
        Err(why) => {
            tracing::info!(?why, path = req.path, "Mini App: launch data refused");
            return message(
                401,
                "Нет доступа",
                "Данные запуска не подтверждены или устарели. Закройте «🖼 Мои работы» и откройте снова из бота.",
                false,
            );
        }
    };
    match (rest, job) {
        ("" | "/", _) => gallery(web, &user, &FileLinks::new(&token)).await,
        (_, Some(job)) => file(web, user.id, job, req.param("view").is_some()).await,
        _ => message(404, "Не найдено", "Такой страницы нет.", false),
    }
}

struct Work {
    caption: String,
    view: String,
    download: String,
    /// The name the download is saved under.
    name: String,
}

#[derive(askama::Template)]
#[template(path = "gallery.html")]
struct Gallery<'a> {
    lang: &'a str,
    title: &'a str,
    balance_label: &'a str,
    balance: String,
    extra_label: &'a str,
    extra: String,
    buttons: Vec<(&'a str, String)>,
    works_label: &'a str,
    empty: &'a str,
    works: Vec<Work>,
    download_label: &'a str,
    history_label: &'a str,
    history: Vec<String>,
}

async fn gallery(web: &Web, viewer: &WebUser, links: &FileLinks) -> Page {
    let (store, id) = (web.store.clone(), viewer.id);
    let read = blocking(move || {
        Ok((
            store.user(id)?,
            store.gallery(id, GALLERY_SIZE)?,
            store.recent_ledger(id, 10)?,
        ))
    })
    .await;
    let (user, kept, ledger) = match read {
        Ok(read) => read,
        Err(e) => return unavailable(e),
    };
    let lang = Lang::of(viewer.language_code.as_deref());
    let words = texts::gallery_words(lang);
    // The links last as long as the launch that opened the page.
    let until = viewer.auth_date + initdata::MAX_AGE_SECS;
    let works = kept
        .iter()
        .map(|k| {
            let what = match k.kind.parse() {
                Ok(mode) => texts::mode_label(lang, mode).to_string(),
                Err(_) => k.kind.clone(),
            };
            let model = k
                .model
                .as_deref()
                .map(|m| format!(" · {m}"))
                .unwrap_or_default();
            let signed = links.query(viewer.id, k.job_id, until);
            Work {
                caption: format!("{what}{model} · {}", crate::time::day_and_time(k.made_at)),
                view: format!("/app/file/{}?view=1&{signed}", k.job_id),
                download: format!("/app/file/{}?{signed}", k.job_id),
                name: format!("media-lab-{}.{}", k.job_id, k.ext),
            }
        })
        .collect();
    let history = ledger.iter().map(|r| r.line(lang)).collect();
    let buttons = match web.bot_username.get() {
        Some(bot) => vec![
            (words.topup, format!("https://t.me/{bot}?start=topup")),
            (words.more, format!("https://t.me/{bot}?start=new")),
        ],
        None => Vec::new(),
    };
    let (balance, free) = user.as_ref().map_or((Default::default(), 0), |u| {
        (u.balance, u.free_operations_left)
    });
    render(
        200,
        &Gallery {
            lang: if lang == Lang::En { "en" } else { "ru" },
            title: words.title,
            balance_label: words.balance,
            balance: texts::money(lang, balance),
            extra_label: words.free,
            extra: if free > 0 {
                free.to_string()
            } else {
                String::new()
            },
            buttons,
            works_label: words.works,
            empty: words.empty,
            works,
            download_label: words.download,
            history_label: words.history,
            history,
        },
    )
}

/// One of the viewer's kept results: shown (`view`) or downloaded, as fal made it.
async fn file(web: &Web, viewer: i64, job: i64, view: bool) -> Page {
    let (store, id) = (web.store.clone(), viewer);
    let path = match blocking(move || store.kept_file(id, job)).await {
        Ok(Some(path)) => path,
        Ok(None) => {
            return message(
                404,
                "Не найдено",
                "Этой картинки нет или она больше не хранится.",
                false,
            );
        }
        Err(e) => return unavailable(e),
    };
    let Ok(_permit) = web.files.acquire().await else {
        return message(
            503,
            "Временно недоступно",
            "Попробуйте через минуту.",
            false,
        );
    };
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(job, error = %e, "Mini App: a kept result's file is gone");
            return message(404, "Не найдено", "Эта картинка больше не хранится.", false);
        }
    };
    let (content_type, ext) = image_type(&bytes);
    let disposition = if view { "inline" } else { "attachment" };
    Page::bytes(content_type, bytes).with(
        "content-disposition",
        format!("{disposition}; filename=\"media-lab-{job}.{ext}\""),
    )
}
