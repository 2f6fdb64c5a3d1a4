//! What the web pages read (SPEC §10): the admins' one-time links and sessions (hashes only), a
//! user's kept results for the Mini App, and the admin pages' tables. Nothing here changes money.

use super::Store;
use super::export::{Col, Sheet, sheet};
use crate::error::Result;
use rusqlite::{OptionalExtension, params};

/// One kept result in a user's gallery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub job_id: i64,
    pub kind: String,
    pub model: Option<String>,
    pub format: Option<String>,
    pub made_at: i64,
    pub kept_until: i64,
    /// The kept file's extension (png, jpg, webp), for the name it is saved under.
    pub ext: String,
}

use Col::{Flag, Money, Number, Text, Time};

impl Store {
    /// Records a login link for `admin` (its token's hash), valid until `expires_at`.
    pub fn add_login_link(&self, admin: i64, token_hash: &str, expires_at: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO web_links (token_hash, telegram_id, expires_at, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, admin, expires_at, crate::time::now()],
            )?;
            Ok(())
        })
    }

    /// Uses a login link once and opens the session `session_hash` for its admin in the same
    /// transaction; the admin, or None when the link is unknown, used or expired.
    pub fn use_login_link(
        &self,
        token_hash: &str,
        session_hash: &str,
        session_until: i64,
    ) -> Result<Option<i64>> {
        self.write(|tx| {
            let now = crate::time::now();
            let admin: Option<i64> = tx
                .query_row(
                    "UPDATE web_links SET used_at = ?2
                      WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
                  RETURNING telegram_id",
                    params![token_hash, now],
                    super::only,
                )
                .optional()?;
            if let Some(admin) = admin {
                tx.execute(
                    "INSERT INTO web_sessions (id_hash, telegram_id, expires_at, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![session_hash, admin, session_until, now],
                )?;
            }
            Ok(admin)
        })
    }

    /// The admin a live session belongs to.
    pub fn session_admin(&self, session_hash: &str) -> Result<Option<i64>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT telegram_id FROM web_sessions
                  WHERE id_hash = ?1 AND revoked_at IS NULL AND expires_at > ?2",
                params![session_hash, crate::time::now()],
                super::only,
            )
            .optional()?)
        })
    }

    /// Ends one session (logout), or every session of an admin (`/web off`); how many ended.
    pub fn revoke_sessions(&self, session_hash: Option<&str>, admin: Option<i64>) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE web_sessions SET revoked_at = ?3
                  WHERE revoked_at IS NULL AND (id_hash = ?1 OR telegram_id = ?2)",
                params![session_hash, admin, crate::time::now()],
            )?)
        })
    }

    /// The user's results still kept on disk, newest first.
    pub fn gallery(&self, telegram_id: i64, limit: u32) -> Result<Vec<Kept>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, kind, model_label, format, updated_at, kept_until, result_path FROM jobs
                  WHERE telegram_id = ?1 AND status = 'done' AND kept_until > ?2
                    AND result_path IS NOT NULL
                  ORDER BY id DESC LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![telegram_id, crate::time::now(), limit], |r| {
                Ok(Kept {
                    job_id: r.get("id")?,
                    kind: r.get("kind")?,
                    model: r.get("model_label")?,
                    format: r.get("format")?,
                    made_at: r.get("updated_at")?,
                    kept_until: r.get("kept_until")?,
                    ext: std::path::Path::new(&r.get::<_, String>("result_path")?)
                        .extension()
                        .and_then(|e| e.to_str())
                        .unwrap_or("jpg")
                        .to_string(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The file of one of the user's kept results (None: not theirs, not kept, or gone).
    pub fn kept_file(&self, telegram_id: i64, job_id: i64) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT result_path FROM jobs
                  WHERE id = ?1 AND telegram_id = ?2 AND status = 'done' AND kept_until > ?3",
                params![job_id, telegram_id, crate::time::now()],
                super::only,
            )
            .optional()?
            .flatten())
        })
    }

    /// Users whose id or username matches `query` (all when empty), newest first.
    pub fn users_table(&self, query: &str, limit: u32) -> Result<Sheet> {
        let like = format!("%{}%", query.trim().trim_start_matches('@'));
        let id: i64 = query.trim().parse().unwrap_or(-1);
        self.read(|c| {
            sheet(
                c,
                "Пользователи",
                &[
                    ("ID", Number),
                    ("Имя", Text),
                    ("Пришёл", Time),
                    ("Баланс, ₽", Money),
                    ("Бесплатных", Number),
                    ("Безлимит", Flag),
                    ("Операций", Number),
                ],
                "SELECT u.telegram_id, u.username, u.created_at, b.kopecks, u.free_operations_left,
                        u.has_free_access,
                        (SELECT count(*) FROM operations o WHERE o.telegram_id = u.telegram_id)
                   FROM users u JOIN balances b ON b.telegram_id = u.telegram_id
                  WHERE ?1 = '%%' OR u.telegram_id = ?2 OR u.username LIKE ?1
                  ORDER BY u.created_at DESC LIMIT ?3",
                &[&like, &id, &limit],
            )
        })
    }

    /// One user's ledger, jobs and payments (newest first, 200 of each at most).
    pub fn user_tables(&self, telegram_id: i64) -> Result<Vec<Sheet>> {
        self.read(|c| {
            Ok(vec![
                sheet(
                    c,
                    "Баланс",
                    &[
                        ("Время", Time),
                        ("Что", Text),
                        ("Сумма, ₽", Money),
                        ("Бесплатные", Number),
                        ("Режим", Text),
                        ("Платёж", Text),
                        ("Примечание", Text),
                    ],
                    "SELECT l.created_at, l.kind, l.amount, l.free_ops, o.mode, l.payment_id, l.reason
                       FROM ledger l LEFT JOIN operations o ON o.id = l.operation_id
                      WHERE l.telegram_id = ?1 ORDER BY l.id DESC LIMIT 200",
                    &[&telegram_id],
                )?,
                sheet(
                    c,
                    "Задачи",
                    &[
                        ("№", Number),
                        ("Создана", Time),
                        ("Режим", Text),
                        ("Модель", Text),
                        ("Формат", Text),
                        ("Статус", Text),
                        ("Ошибка", Text),
                        ("Себестоимость, ₽", Money),
                    ],
                    "SELECT id, created_at, kind, model_label, format, status, error, cost
                       FROM jobs WHERE telegram_id = ?1 ORDER BY id DESC LIMIT 200",
                    &[&telegram_id],
                )?,
                sheet(
                    c,
                    "Платежи",
                    &[
                        ("№", Text),
                        ("Создан", Time),
                        ("Провайдер", Text),
                        ("Статус", Text),
                        ("Зачисление, ₽", Money),
                        ("Возврат", Text),
                    ],
                    "SELECT id, created_at, provider, status, amount, refund_state
                       FROM payments WHERE telegram_id = ?1 ORDER BY created_at DESC LIMIT 200",
                    &[&telegram_id],
                )?,
                sheet(
                    c,
                    "Подписка",
                    &[
                        ("Оплата", Text),
                        ("План", Text),
                        ("Звёзд", Number),
                        ("Начало", Time),
                        ("Конец", Time),
                        ("Операций", Number),
                        ("Использовано", Number),
                        ("Продление остановлено", Time),
                        ("Продление не прошло", Time),
                        ("Возврат", Text),
                    ],
                    "SELECT charge_id, plan, stars, starts_at, expires_at, operations, used,
                            canceled_at, renewal_failed_at, refund_state
                       FROM plan_periods WHERE telegram_id = ?1 ORDER BY starts_at DESC LIMIT 200",
                    &[&telegram_id],
                )?,
            ])
        })
    }

    /// Recent payments of both providers, newest first.
    pub fn payments_table(&self, limit: u32) -> Result<Sheet> {
        self.read(|c| {
            sheet(
                c,
                "Платежи",
                &[
                    ("№", Text),
                    ("Создан", Time),
                    ("Провайдер", Text),
                    ("Пользователь", Number),
                    ("Статус", Text),
                    ("Зачисление, ₽", Money),
                    ("Возврат", Text),
                ],
                "SELECT id, created_at, provider, telegram_id, status, amount, refund_state
                   FROM payments ORDER BY created_at DESC LIMIT ?1",
                &[&limit],
            )
        })
    }

    /// The broadcasts, newest first, with how far each got.
    pub fn broadcasts_table(&self, limit: u32) -> Result<Sheet> {
        self.read(|c| {
            sheet(
                c,
                "Рассылки",
                &[
                    ("№", Number),
                    ("Создана", Time),
                    ("Текст", Text),
                    ("Только платившим", Flag),
                    ("Отправлено", Number),
                    ("Не доставлено", Number),
                    ("Осталось", Number),
                    ("Закончена", Time),
                ],
                "SELECT b.id, b.created_at, substr(b.text, 1, 200), b.only_paying,
                        (SELECT count(*) FROM broadcast_recipients r
                          WHERE r.broadcast_id = b.id AND r.status = 'sent'),
                        (SELECT count(*) FROM broadcast_recipients r
                          WHERE r.broadcast_id = b.id AND r.status IN ('failed', 'blocked', 'unknown')),
                        (SELECT count(*) FROM broadcast_recipients r
                          WHERE r.broadcast_id = b.id AND r.status IN ('pending', 'sending')),
                        b.finished_at
                   FROM broadcasts b ORDER BY b.id DESC LIMIT ?1",
                &[&limit],
            )
        })
    }
}
