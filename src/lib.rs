//! media-lab: a self-hosted Telegram bot for paid AI image work, in one binary with one SQLite file.
//!
//! The edges (`cli`, `app`, `listener`) are thin; the money rules live in `billing`, and `db` is the
//! only code that speaks SQL.

pub mod actions;
pub mod app;
pub mod billing;
pub mod bot;
pub mod catalogue;
pub mod chart;
pub mod cidr;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod export;
pub mod fonts;
pub mod ids;
pub mod initdata;
pub mod jobs;
pub mod listener;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod money;
pub mod payments;
pub mod telegram;
pub mod texts;
pub mod time;
pub mod web;
