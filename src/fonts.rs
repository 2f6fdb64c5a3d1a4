//! The fonts embedded in the binary: DejaVu Sans Bold (Latin and Cyrillic) for the text drawn on
//! photos and for the charts, and Twemoji (a COLR colour font, 1.4 MB) for emoji in that text. A leaf.

use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/fonts/"]
struct Fonts;

const FONT: &str = "DejaVuSans-Bold.ttf";

const EMOJI: &str = "Twemoji.Mozilla.ttf";

/// The text font's bytes, for the whole life of the program (embedded: nothing is read at run time).
pub fn dejavu_bold() -> Option<&'static [u8]> {
    static BYTES: std::sync::OnceLock<Option<&'static [u8]>> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| file(FONT))
}

/// The emoji font's bytes.
pub fn twemoji() -> Option<&'static [u8]> {
    static BYTES: std::sync::OnceLock<Option<&'static [u8]>> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| file(EMOJI))
}

fn file(name: &str) -> Option<&'static [u8]> {
    Fonts::get(name).map(|f| match f.data {
        std::borrow::Cow::Borrowed(b) => b,
        // Not embedded as a static (never in release builds): kept once.
        std::borrow::Cow::Owned(v) => &*Box::leak(v.into_boxed_slice()),
    })
}
