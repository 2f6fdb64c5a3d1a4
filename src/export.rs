//! Workbooks (SPEC §8b): the operator's — `stats --export` and the admin's /export — and a user's own
//! history from the balance screen. Money as numbers in roubles, times as dates in TIME_ZONE, written
//! by rust_xlsxwriter.

use crate::db::Store;
use crate::db::export::{Cell, Col, Sheet};
use crate::db::stats::Stats;
use crate::error::{Error, Result};
use crate::money::Kopecks;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// The sheets of the operator's workbook, in order.
pub const SHEETS: [&str; 11] = [
    "Сводка",
    "Пользователи",
    "Операции",
    "По моделям",
    "По дням",
    "По неделям",
    "По месяцам",
    "Платежи",
    "Рефералы",
    "Вопросы ИИ",
    "Поддержка",
];

/// A sheet holds at most this many rows (Excel's limit less the heading); the rest is cut, and the
/// last row says so.
const MAX_ROWS: usize = 1_048_000;

fn xlsx(e: XlsxError) -> Error {
    Error::internal(format!("writing the workbook: {e}"))
}

/// The operator's workbook as the bytes of an .xlsx file.
pub fn operator_workbook(store: &Store, usd_rub: Kopecks) -> Result<Vec<u8>> {
    let now = crate::time::now();
    let stats = store.stats()?;
    let mut sheets = vec![
        summary(&stats, usd_rub, now),
        crate::db::export::economics("По моделям", &stats.by_model, true),
    ];
    sheets.extend(store.export_sheets()?);
    // In the order of SPEC §8b.
    sheets.sort_by_key(|s| SHEETS.iter().position(|n| *n == s.name));
    write(&sheets)
}

/// A user's own history as a one-sheet workbook.
pub fn history_workbook(store: &Store, telegram_id: i64) -> Result<Vec<u8>> {
    write(&[store.history_sheet(telegram_id)?])
}

fn summary(s: &Stats, usd_rub: Kopecks, now: i64) -> Sheet {
    let (n, money) = (Cell::Int, Cell::Money);
    let mut rows: Vec<(String, Cell)> = [
        ("Сформировано", Cell::Time(now)),
        ("Пользователей", n(s.users)),
        ("С безлимитом", n(s.users_with_free_access)),
        ("На балансах, ₽", money(s.balances_kopecks)),
        ("Оплачено картой (ЮKassa), ₽", money(s.revenue_kopecks)),
        ("Оплачено звёздами за пополнения, ⭐", n(s.revenue_stars)),
        ("Оплачено звёздами за подписки, ⭐", n(s.plan_stars)),
        ("Периодов подписки", n(s.plan_periods)),
        ("Зачислено пополнениями, ₽", money(s.credited_kopecks)),
        (
            "Начислено администраторами (не выручка), ₽",
            money(s.free_credits_kopecks),
        ),
        (
            "Выручка операций (списано с балансов), ₽",
            money(s.operations_revenue_kopecks),
        ),
        ("Себестоимость (fal), ₽", money(s.cost_kopecks)),
        ("Маржа, ₽", money(s.margin_kopecks)),
        ("Курс, ₽ за $", money(usd_rub.0)),
        ("Задач в работе", n(s.jobs_in_flight)),
        ("Приглашено", n(s.referrals)),
        ("Приглашённых пополнили", n(s.referrals_converted)),
    ]
    .into_iter()
    .map(|(what, v)| (what.to_string(), v))
    .collect();
    for (source, count) in &s.free_ops_granted {
        rows.push((format!("Бесплатных операций выдано: {source}"), n(*count)));
    }
    for (how, count) in &s.done_by_payment {
        rows.push((format!("Операций выполнено, оплата: {how}"), n(*count)));
    }
    Sheet {
        name: "Сводка",
        columns: vec![("Показатель", Col::Text), ("Значение", Col::Number)],
        rows: rows
            .into_iter()
            .map(|(w, v)| vec![Cell::Text(w), v])
            .collect(),
    }
}

struct Formats {
    head: Format,
    money: Format,
    time: Format,
}

fn write(sheets: &[Sheet]) -> Result<Vec<u8>> {
    let formats = Formats {
        head: Format::new().set_bold(),
        money: Format::new().set_num_format("#,##0.00"),
        time: Format::new().set_num_format("dd.mm.yyyy hh:mm"),
    };
    let mut book = Workbook::new();
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet.name).map_err(xlsx)?;
        fill(ws, sheet, &formats).map_err(xlsx)?;
    }
    book.save_to_buffer().map_err(xlsx)
}

fn fill(ws: &mut Worksheet, sheet: &Sheet, f: &Formats) -> std::result::Result<(), XlsxError> {
    for (c, (heading, _)) in sheet.columns.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *heading, &f.head)?;
    }
    for (i, row) in sheet.rows.iter().take(MAX_ROWS).enumerate() {
        let r = i as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Money(k) => {
                    ws.write_number_with_format(r, col, *k as f64 / 100.0, &f.money)?;
                }
                Cell::Time(t) => {
                    let local = ExcelDateTime::from_timestamp(crate::time::local(*t))?;
                    ws.write_datetime_with_format(r, col, &local, &f.time)?;
                }
                Cell::Flag(yes) => {
                    ws.write_string(r, col, if *yes { "да" } else { "нет" })?;
                }
                Cell::Int(n) => {
                    ws.write_number(r, col, *n as f64)?;
                }
                Cell::Real(x) => {
                    ws.write_number(r, col, *x)?;
                }
                Cell::Text(t) => {
                    ws.write_string(r, col, t)?;
                }
            }
        }
    }
    if sheet.rows.len() > MAX_ROWS {
        let r = MAX_ROWS as u32 + 1;
        ws.write_string(
            r,
            0,
            format!("… ещё {} строк не поместились", sheet.rows.len() - MAX_ROWS),
        )?;
    }
    ws.set_freeze_panes(1, 0)?;
    for (c, (heading, kind)) in sheet.columns.iter().enumerate() {
        let width = match kind {
            Col::Time => 17.0,
            Col::Money | Col::Number | Col::Flag => {
                (heading.chars().count() as f64).clamp(10.0, 22.0)
            }
            Col::Text => (heading.chars().count() as f64 + 4.0).clamp(14.0, 48.0),
        };
        ws.set_column_width(c as u16, width)?;
    }
    Ok(())
}
