//! The one font embedded in the binary (DejaVu Sans Bold: Latin and Cyrillic), for the text drawn on
//! photos and for the charts. A leaf.

use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/fonts/"]
struct Fonts;

const FONT: &str = "DejaVuSans-Bold.ttf";

/// The font file's bytes, for the whole life of the program (embedded: nothing is read at run time).
pub fn dejavu_bold() -> Option<&'static [u8]> {
    static BYTES: std::sync::OnceLock<Option<&'static [u8]>> = std::sync::OnceLock::new();
    *BYTES.get_or_init(|| {
        Fonts::get(FONT).map(|f| match f.data {
            std::borrow::Cow::Borrowed(b) => b,
            // Not embedded as a static (never in release builds): kept once.
            std::borrow::Cow::Owned(v) => &*Box::leak(v.into_boxed_slice()),
        })
    })
}
