//! The rows of the operator's workbook (SPEC §8b) and of a user's own history, as plain tables: each
//! sheet is one query with its column headings and what each column holds. `export` writes them.

use super::{LocalClock, Store};
use crate::error::Result;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ToSql};

/// What a column holds, so the workbook can show it as people expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Text,
    Number,
    /// Kopecks, shown as roubles.
    Money,
    /// Unix seconds, shown as a date and time in TIME_ZONE.
    Time,
    /// 0/1, shown as да/нет.
    Flag,
}

/// One value, typed as the workbook shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Int(i64),
    Real(f64),
    Text(String),
    /// Kopecks.
    Money(i64),
    /// Unix seconds.
    Time(i64),
    Flag(bool),
}

/// One sheet: its name, headings with their kinds, and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: &'static str,
    pub columns: Vec<(&'static str, Col)>,
    pub rows: Vec<Vec<Cell>>,
}

/// Revenue, cost and margin per row of `stats` (by model, or by mode when `with_model` is false):
/// the workbook's «По моделям» and the admin dashboard's two tables.
pub fn economics(name: &'static str, rows: &[super::stats::ModelRow], with_model: bool) -> Sheet {
    let mut columns = vec![("Режим", Col::Text)];
    if with_model {
        columns.push(("Модель", Col::Text));
    }
    columns.extend([
        ("Выполнено", Col::Number),
        ("Выручка, ₽", Col::Money),
        ("Себестоимость, ₽", Col::Money),
        ("Маржа, ₽", Col::Money),
    ]);
    Sheet {
        name,
        columns,
        rows: rows
            .iter()
            .map(|m| {
                let mut row = vec![Cell::Text(m.mode.clone())];
                if with_model {
                    row.push(Cell::Text(m.model.clone()));
                }
                row.extend([
                    Cell::Int(m.operations),
                    Cell::Money(m.revenue_kopecks),
                    Cell::Money(m.cost_kopecks),
                    Cell::Money(m.margin_kopecks),
                ]);
                row
            })
            .collect(),
    }
}

pub(super) fn sheet(
    conn: &Connection,
    name: &'static str,
    columns: &[(&'static str, Col)],
    sql: &str,
    params: &[&dyn ToSql],
) -> Result<Sheet> {
    let mut stmt = conn.prepare(sql)?;
    let width = columns.len();
    let rows = stmt.query_map(params, |r| {
        (0..width)
            .map(|i| {
                Ok(match (r.get_ref(i)?, columns[i].1) {
                    (ValueRef::Null, _) => Cell::Empty,
                    (ValueRef::Integer(n), Money) => Cell::Money(n),
                    (ValueRef::Integer(n), Time) => Cell::Time(n),
                    (ValueRef::Integer(n), Flag) => Cell::Flag(n != 0),
                    (ValueRef::Integer(n), _) => Cell::Int(n),
                    (ValueRef::Real(x), _) => Cell::Real(x),
                    (ValueRef::Text(t) | ValueRef::Blob(t), _) => {
                        Cell::Text(String::from_utf8_lossy(t).into_owned())
                    }
                })
            })
            .collect::<rusqlite::Result<Vec<Cell>>>()
    })?;
    Ok(Sheet {
        name,
        columns: columns.to_vec(),
        rows: rows.collect::<rusqlite::Result<_>>()?,
    })
}

use Col::{Flag, Money, Number, Text, Time};

impl Store {
    /// Every sheet of the workbook after the summary (which `export` writes from `stats`), in the
    /// order of SPEC §8b.
    pub fn export_sheets(&self) -> Result<Vec<Sheet>> {
        self.read(|c| {
            let first: Option<i64> =
                c.query_row("SELECT min(created_at) FROM users", [], super::only)?;
            let now = crate::time::now();
            let clock = LocalClock::over(first.unwrap_or(now), now);
            let mut out = vec![
                sheet(
                    c,
                    "Пользователи",
                    &[
                        ("Telegram ID", Number),
                        ("Имя пользователя", Text),
                        ("Язык", Text),
                        ("Пришёл", Time),
                        ("Баланс, ₽", Money),
                        ("Бесплатных операций", Number),
                        ("Безлимит", Flag),
                        ("Пополнил, ₽", Money),
                        ("Операций выполнено", Number),
                        ("Пригласил его", Number),
                        ("Код скидки на операции", Text),
                    ],
                    "SELECT u.telegram_id, u.username, u.language_code, u.created_at, b.kopecks,
                            u.free_operations_left, u.has_free_access,
                            (SELECT coalesce(sum(amount), 0) FROM ledger l
                              WHERE l.telegram_id = u.telegram_id AND l.kind = 'topup'),
                            (SELECT count(*) FROM operations o
                              WHERE o.telegram_id = u.telegram_id AND o.status = 'settled'),
                            r.inviter_id, u.standing_code
                       FROM users u JOIN balances b ON b.telegram_id = u.telegram_id
                       LEFT JOIN referrals r ON r.invitee_id = u.telegram_id
                      ORDER BY u.created_at, u.telegram_id",
                    &[],
                )?,
                sheet(
                    c,
                    "Операции",
                    &[
                        ("№", Number),
                        ("Время", Time),
                        ("Пользователь", Number),
                        ("Режим", Text),
                        ("Модель", Text),
                        ("Формат", Text),
                        ("Статус", Text),
                        ("Оплата", Text),
                        ("Списано, ₽", Money),
                        ("Полная цена, ₽", Money),
                        ("Код", Text),
                        ("Себестоимость, ₽", Money),
                    ],
                    "SELECT o.id, o.created_at, o.telegram_id, o.mode,
                            coalesce(j.model_label, w.model), j.format, o.status, o.paid_with, o.price,
                            coalesce(o.full_price, o.price), o.discount_code,
                            coalesce(j.cost, 0) + coalesce(w.cost, 0)
                       FROM operations o LEFT JOIN jobs j ON j.operation_id = o.id
                       LEFT JOIN words w ON w.operation_id = o.id
                      ORDER BY o.id",
                    &[],
                )?,
            ];
            for (name, bucket) in PERIODS {
                out.push(periods(c, name, bucket, &clock)?);
            }
            out.push(sheet(
                c,
                "Платежи",
                &[
                    ("№", Text),
                    ("Создан", Time),
                    ("Провайдер", Text),
                    ("Пользователь", Number),
                    ("Статус", Text),
                    ("Зачислено, ₽", Money),
                    ("Оплачено", Number),
                    ("Валюта", Text),
                    ("Код", Text),
                    ("Скидка, %", Number),
                    ("ID у провайдера", Text),
                    ("Возврат", Text),
                    ("Возвращён", Time),
                ],
                // Top-ups of both providers (Stars amounts are whole Stars, roubles are shown as
                // roubles), then the plan periods bought with Stars.
                "SELECT id, created_at, provider, telegram_id, status, amount,
                        CASE WHEN currency = 'XTR' THEN charge_amount ELSE charge_amount / 100.0 END,
                        currency, discount_code, discount_percent, coalesce(yookassa_id, charge_id),
                        refund_state, refunded_at
                   FROM payments
                 UNION ALL
                 SELECT 'plan-' || id, starts_at, 'stars-plan', telegram_id,
                        plan || CASE WHEN recurring THEN ' (продление)' ELSE '' END, 0, stars, 'XTR',
                        NULL, 0, charge_id, refund_state, refunded_at
                   FROM plan_periods
                  ORDER BY 2, 1",
                &[],
            )?);
            out.push(sheet(
                c,
                "Рефералы",
                &[
                    ("Пригласил", Number),
                    ("Приглашённый", Number),
                    ("Пришёл", Time),
                    ("Бонус выдан", Time),
                    ("Пополнил, ₽", Money),
                ],
                "SELECT r.inviter_id, r.invitee_id, r.created_at, r.rewarded_at,
                        (SELECT coalesce(sum(amount), 0) FROM ledger l
                          WHERE l.telegram_id = r.invitee_id AND l.kind = 'topup')
                   FROM referrals r ORDER BY r.created_at",
                &[],
            )?);
            out.push(sheet(
                c,
                "Вопросы ИИ",
                &[
                    ("№", Number),
                    ("Время", Time),
                    ("Пользователь", Number),
                    ("Что", Text),
                    ("Модель", Text),
                    ("Вопрос", Text),
                    ("Ответ", Text),
                    ("Ошибка", Text),
                    ("Себестоимость, ₽", Money),
                ],
                "SELECT id, created_at, telegram_id, kind, model, question, answer, error, cost
                   FROM words ORDER BY id",
                &[],
            )?);
            out.push(sheet(
                c,
                "Поддержка",
                &[
                    ("Обращение", Number),
                    ("Пользователь", Number),
                    ("Статус", Text),
                    ("Открыто", Time),
                    ("Обновлено", Time),
                    ("Сообщений", Number),
                    ("Последнее сообщение", Text),
                ],
                "SELECT t.id, t.telegram_id, t.status, t.created_at, t.updated_at,
                        (SELECT count(*) FROM ticket_messages m WHERE m.ticket_id = t.id),
                        (SELECT m.text FROM ticket_messages m WHERE m.ticket_id = t.id
                          ORDER BY m.id DESC LIMIT 1)
                   FROM tickets t ORDER BY t.id",
                &[],
            )?);
            Ok(out)
        })
    }

    /// One user's whole history (the ledger, newest first) as one sheet.
    pub fn history_sheet(&self, telegram_id: i64) -> Result<Sheet> {
        self.read(|c| {
            sheet(
                c,
                "История",
                &[
                    ("Время", Time),
                    ("Что", Text),
                    ("Сумма, ₽", Money),
                    ("Бесплатные операции", Number),
                    ("Режим", Text),
                    ("Модель", Text),
                    ("Платёж", Text),
                    ("Примечание", Text),
                ],
                "SELECT l.created_at, l.kind, l.amount, l.free_ops, o.mode, j.model_label,
                        l.payment_id, l.reason
                   FROM ledger l LEFT JOIN operations o ON o.id = l.operation_id
                   LEFT JOIN jobs j ON j.operation_id = l.operation_id
                  WHERE l.telegram_id = ?1 ORDER BY l.id DESC",
                &[&telegram_id],
            )
        })
    }
}

/// The summaries' periods: each sheet's name and how a moment on TIME_ZONE's clock (`lt`) is
/// bucketed — by day, by week from Monday, by month.
const PERIODS: [(&str, &str); 3] = [
    ("По дням", "date(lt, 'unixepoch')"),
    (
        "По неделям",
        "date(lt, 'unixepoch', 'weekday 0', '-6 days')",
    ),
    ("По месяцам", "strftime('%Y-%m', lt, 'unixepoch')"),
];

/// One period's sheet: new users, money paid and credited, operations, their revenue, fal's cost and
/// the margin, each moment on `clock`'s day.
fn periods(c: &Connection, name: &'static str, bucket: &str, clock: &LocalClock) -> Result<Sheet> {
    let sql = format!(
        "WITH {zone},
         events (t, users, card, stars, credited, ops, revenue, cost) AS (
             SELECT created_at, 1, 0, 0, 0, 0, 0, 0 FROM users
             UNION ALL
             SELECT created_at,  0,
                    CASE WHEN currency = 'XTR' THEN 0 ELSE charge_amount END,
                    CASE WHEN currency = 'XTR' THEN charge_amount ELSE 0 END, 0, 0, 0, 0
               FROM payments WHERE status = 'succeeded'
             UNION ALL
             SELECT starts_at, 0, 0, stars, 0, 0, 0, 0 FROM plan_periods WHERE refunded_at IS NULL
             UNION ALL
             SELECT created_at, 0, 0, 0, amount, 0, 0, 0 FROM ledger WHERE kind = 'topup'
             UNION ALL
             SELECT created_at, 0, 0, 0, 0, 1, price, 0 FROM operations WHERE status = 'settled'
             UNION ALL
             SELECT created_at, 0, 0, 0, 0, 0, 0, cost FROM ({costs})
         )
         SELECT {bucket} AS period, sum(users), sum(card), sum(stars), sum(credited), sum(ops),
                sum(revenue), sum(cost), sum(revenue) - sum(cost)
           FROM (SELECT *, {lt} AS lt FROM events)
          GROUP BY period ORDER BY period",
        zone = clock.table(),
        lt = LocalClock::local("t"),
        costs = super::stats::COSTS
    );
    sheet(
        c,
        name,
        &[
            ("Период", Text),
            ("Новых пользователей", Number),
            ("Оплачено картой, ₽", Money),
            ("Оплачено звёздами, ⭐", Number),
            ("Зачислено пополнениями, ₽", Money),
            ("Операций выполнено", Number),
            ("Выручка операций, ₽", Money),
            ("Себестоимость, ₽", Money),
            ("Маржа, ₽", Money),
        ],
        &sql,
        &[],
    )
}
