//! The admin pages' tables: a database sheet turned into text cells, money in roubles, times in
//! TIME_ZONE, ids linking to their pages.

use crate::db::export::{Cell, Sheet};
use crate::money::Kopecks;

pub struct Table {
    pub title: String,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<HtmlCell>>,
}

pub struct HtmlCell {
    pub text: String,
    pub link: Option<String>,
    pub numeric: bool,
}

/// Where a cell under `heading` leads: a user to their page, a payment to its story.
fn link(heading: &str, text: &str) -> Option<String> {
    let encoded = || {
        reqwest::Url::parse_with_params("http://x.invalid/", &[("id", text)])
            .ok()
            .and_then(|u| u.query().map(str::to_string))
    };
    match heading {
        "ID" | "Пользователь" => Some(format!("/admin/user?{}", encoded()?)),
        "№" if text.starts_with("mlp-") => Some(format!("/admin/payment?{}", encoded()?)),
        "Платёж" if !text.is_empty() => Some(format!("/admin/payment?{}", encoded()?)),
        "Обращение" => Some(format!("/admin/ticket?{}", encoded()?)),
        _ => None,
    }
}

pub fn of(sheet: &Sheet) -> Table {
    Table {
        title: sheet.name.to_string(),
        headings: sheet.columns.iter().map(|(h, _)| h.to_string()).collect(),
        rows: sheet
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&sheet.columns)
                    .map(|(cell, (heading, _))| {
                        let (text, numeric) = match cell {
                            Cell::Empty => (String::new(), false),
                            Cell::Int(n) => (n.to_string(), true),
                            Cell::Real(x) => (x.to_string(), true),
                            Cell::Text(t) => (t.clone(), false),
                            Cell::Money(k) => (Kopecks(*k).to_decimal(), true),
                            Cell::Time(t) => (
                                crate::time::local_datetime(*t)[..16].replace('T', " "),
                                false,
                            ),
                            Cell::Flag(yes) => ((if *yes { "да" } else { "нет" }).into(), false),
                        };
                        HtmlCell {
                            link: link(heading, &text),
                            text,
                            numeric,
                        }
                    })
                    .collect()
            })
            .collect(),
    }
}
