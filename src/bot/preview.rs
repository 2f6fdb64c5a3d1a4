//! The small pictures "add text" shows while its style is chosen: the user's photo fetched once,
//! reduced, kept in memory for the next presses, and drawn on in a few milliseconds.

use super::Tg;
use crate::error::{Error, Result};
use crate::jobs::render::MAX_INPUT_BYTES;
use crate::jobs::text;
use crate::model::TextStyle;
use image::RgbImage;
use std::sync::{Arc, Mutex};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::FileId;

/// Reduced photos kept for previews, by Telegram file id. Bounded: past this many the oldest go
/// (a restart forgets all, and the next press fetches the photo again). Each is at most 640×640 RGB
/// (1.2 MB), so the cache stays under 20 MB.
const KEPT: usize = 16;

#[derive(Default)]
pub struct Previews(Mutex<Vec<(String, Arc<RgbImage>)>>);

impl Previews {
    /// `text` in `style` on the photo `file_id`, as a small JPEG.
    pub async fn render(
        &self,
        bot: &Tg,
        file_id: &str,
        text: &str,
        style: TextStyle,
    ) -> Result<Vec<u8>> {
        let base = self.base(bot, file_id).await?;
        let text = text.to_string();
        tokio::task::spawn_blocking(move || text::preview(&base, &text, &style))
            .await
            .map_err(|e| Error::internal(e.to_string()))?
    }

    async fn base(&self, bot: &Tg, file_id: &str) -> Result<Arc<RgbImage>> {
        if let Some(found) = self.lock().iter().find(|(id, _)| id == file_id) {
            return Ok(found.1.clone());
        }
        let file = bot.get_file(FileId(file_id.to_string())).await?;
        if file.size as usize > MAX_INPUT_BYTES {
            return Err(Error::TooLarge(format!(
                "Telegram reports {} bytes",
                file.size
            )));
        }
        let mut bytes = Vec::new();
        bot.download_file(&file.path, &mut bytes)
            .await
            .map_err(|e| Error::invalid(format!("downloading the photo failed: {e}")))?;
        let base = tokio::task::spawn_blocking(move || text::preview_base(&bytes))
            .await
            .map_err(|e| Error::internal(e.to_string()))??;
        let base = Arc::new(base);
        let mut kept = self.lock();
        if kept.len() >= KEPT {
            kept.remove(0);
        }
        kept.push((file_id.to_string(), base.clone()));
        Ok(base)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Arc<RgbImage>)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
