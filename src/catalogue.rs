//! The model catalogue (SPEC §6b): the fal models each mode offers, in the picker's order, with the
//! price a user pays and what fal charges us. Built into the binary (`assets/models.toml`), replaced
//! by MODELS_FILE, one mode replaced by FAL_MODEL_<MODE>. Read once at start: a bad catalogue stops
//! the program before it does anything, like any bad setting.

use crate::model::{Chosen, Format, FormatField, Mode};
use crate::money::Kopecks;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The catalogue built into the binary.
pub const EMBEDDED: &str = include_str!("../assets/models.toml");

/// The most pictures one request carries: each goes up as a data URI of about 0.5 MB, and fal's
/// request limit is far above 8 of them.
pub const MAX_IMAGES: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub mode: Mode,
    /// The fal endpoint.
    pub id: String,
    label: Words,
    /// What one result costs the user.
    pub price: Kopecks,
    /// What fal charges per result, in US dollars (0 when unknown).
    pub cost_usd: f64,
    /// The same in kopecks at FAL_USD_RUB.
    pub cost: Kopecks,
    note: Words,
    pub formats: Option<FormatField>,
    /// The fixed formats this model accepts, in the picker's order.
    pub ratios: Vec<Format>,
    /// Pictures an edit or merge with this model takes.
    pub max_images: usize,
    /// Pictures go as an `image_urls` list (else one `image_url`).
    pub list: bool,
    pub instruction: Option<String>,
    /// The prompt is translated to English first.
    pub english: bool,
}

/// A text in Russian and English (English falls back to Russian).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Words {
    ru: String,
    en: String,
}

impl Words {
    fn get(&self, english: bool) -> &str {
        if english && !self.en.is_empty() {
            &self.en
        } else {
            &self.ru
        }
    }
}

impl Model {
    /// The button's name.
    pub fn label(&self, english: bool) -> &str {
        self.label.get(english)
    }

    /// The name it is remembered and recorded by (the Russian label: unique within its mode).
    pub fn key(&self) -> &str {
        &self.label.ru
    }

    pub fn note(&self, english: bool) -> &str {
        self.note.get(english)
    }

    /// Whether the user's words reach this model: every generate, edit and merge model does; the
    /// others only when they carry an instruction of their own (a preset that is a prompted edit).
    pub fn takes_words(&self) -> bool {
        matches!(self.mode, Mode::Generate | Mode::Edit | Mode::Merge) || self.instruction.is_some()
    }

    /// The formats the picker offers for this model: none when it takes none; an edit or merge may
    /// also keep the source's own.
    pub fn offered_formats(&self) -> Vec<Format> {
        if self.formats.is_none() {
            return Vec::new();
        }
        let mut formats = self.ratios.clone();
        if matches!(self.mode, Mode::Edit | Mode::Merge) {
            formats.push(Format::Source);
        }
        formats
    }

    /// The format a job with this model gets when the user chose none (or one it does not take).
    pub fn format_or_default(&self, wanted: Option<Format>) -> Option<Format> {
        let offered = self.offered_formats();
        match wanted {
            Some(f) if offered.contains(&f) => Some(f),
            _ if offered.contains(&Format::Source) => Some(Format::Source),
            _ => offered.first().copied(),
        }
    }

    /// What a job records of it.
    pub fn chosen(&self) -> Chosen {
        Chosen {
            label: self.key().to_string(),
            id: self.id.clone(),
            formats: self.formats,
            list: self.list,
            instruction: self.instruction.clone(),
            english: self.english,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    models: Vec<Model>,
    /// What one call of the language model (✍️, 🤖, a translation) costs us: `[llm] cost_usd` in
    /// kopecks at FAL_USD_RUB.
    pub llm_cost: Kopecks,
}

impl Catalogue {
    pub fn all(&self) -> &[Model] {
        &self.models
    }

    /// The models `mode` offers, in the picker's order (never empty).
    pub fn of(&self, mode: Mode) -> Vec<&Model> {
        self.models.iter().filter(|m| m.mode == mode).collect()
    }

    /// The `index`-th model of `mode` (as the picker numbers its buttons).
    pub fn nth(&self, mode: Mode, index: usize) -> Option<&Model> {
        self.of(mode).get(index).copied()
    }

    /// The model of `mode` remembered by `key`, else the mode's first.
    pub fn pick(&self, mode: Mode, key: Option<&str>) -> &Model {
        let models = self.of(mode);
        key.and_then(|k| models.iter().find(|m| m.key() == k))
            .or(models.first())
            .copied()
            .unwrap_or(&self.models[0])
    }

    /// The mode's first model: what a job queued before the catalogue runs on.
    pub fn first(&self, mode: Mode) -> &Model {
        self.pick(mode, None)
    }

    /// The most pictures an edit or merge takes with any of its models.
    pub fn max_images(&self, mode: Mode) -> usize {
        self.of(mode)
            .iter()
            .map(|m| m.max_images)
            .max()
            .unwrap_or(1)
    }
}

/// Where the catalogue comes from, and what fills what it leaves out.
pub struct Sources<'a> {
    /// The TOML text.
    pub text: &'a str,
    /// FAL_MODEL_<MODE>: one model replacing that mode's entries.
    pub overrides: &'a BTreeMap<Mode, String>,
    /// PRICE_<MODE>, else PRICE_PER_OPERATION.
    pub mode_price: &'a dyn Fn(Mode) -> Kopecks,
    /// FAL_USD_RUB in kopecks per dollar.
    pub usd_rub: Kopecks,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    model: Vec<Entry>,
    #[serde(default)]
    llm: Option<Llm>,
}

/// `[llm]`: the language model's cost per call (fal bills any-llm by tokens; a short answer is one
/// typical call).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Llm {
    cost_usd: f64,
}

/// A typical ✍️ or 🤖 call of the default model (about 1,500 tokens in, 300 out).
const LLM_COST_USD: f64 = 0.002;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    mode: String,
    id: String,
    label: Text,
    #[serde(default)]
    price: Option<f64>,
    #[serde(default)]
    cost_usd: Option<f64>,
    #[serde(default)]
    note: Option<Text>,
    #[serde(default)]
    formats: Option<String>,
    #[serde(default)]
    ratios: Option<Vec<String>>,
    #[serde(default)]
    max_images: Option<i64>,
    #[serde(default)]
    images: Option<String>,
    #[serde(default)]
    instruction: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    One(String),
    Both {
        ru: String,
        #[serde(default)]
        en: Option<String>,
    },
}

impl Text {
    fn words(self) -> Words {
        match self {
            Text::One(s) => Words {
                ru: s.trim().to_string(),
                en: s.trim().to_string(),
            },
            Text::Both { ru, en } => Words {
                ru: ru.trim().to_string(),
                en: en.map(|e| e.trim().to_string()).unwrap_or_default(),
            },
        }
    }
}

/// Reads and checks a catalogue; the error says which entry is wrong and how.
pub fn build(sources: &Sources<'_>) -> Result<Catalogue, String> {
    let file: File = toml::from_str(sources.text).map_err(|e| e.to_string())?;
    let mut models = Vec::new();
    for (n, entry) in file.model.into_iter().enumerate() {
        let model =
            read(entry, sources).map_err(|why| format!("[[model]] number {}: {why}", n + 1))?;
        if models
            .iter()
            .any(|m: &Model| m.mode == model.mode && m.key() == model.key())
        {
            return Err(format!(
                "[[model]] number {}: {} has the label {:?} twice",
                n + 1,
                model.mode,
                model.key()
            ));
        }
        models.push(model);
    }
    for (mode, id) in sources.overrides {
        let known = models
            .iter()
            .find(|m| m.mode == *mode && m.id == *id)
            .cloned();
        models.retain(|m| m.mode != *mode);
        models.push(known.unwrap_or_else(|| alone(*mode, id, sources)));
    }
    for mode in Mode::ALL {
        if !models.iter().any(|m| m.mode == mode) {
            return Err(format!(
                "no model for {mode}: every mode needs at least one"
            ));
        }
    }
    // The picker's order is the file's, mode by mode.
    models.sort_by_key(|m| Mode::ALL.iter().position(|x| *x == m.mode));
    let llm_cost_usd = file.llm.map_or(LLM_COST_USD, |l| l.cost_usd);
    if !(0.0..=10.0).contains(&llm_cost_usd) {
        return Err("[llm] cost_usd must be from 0 to 10 dollars".into());
    }
    Ok(Catalogue {
        models,
        llm_cost: Kopecks((llm_cost_usd * sources.usd_rub.0 as f64).round() as i64),
    })
}

/// The one model FAL_MODEL_<MODE> names, when the catalogue does not describe it: sent as 0.1 sent
/// it (edit one `image_url`, merge a list of up to 4), no format, its cost unknown.
fn alone(mode: Mode, id: &str, sources: &Sources<'_>) -> Model {
    let (max_images, list) = match mode {
        Mode::Merge => (4, true),
        _ => (1, false),
    };
    let name = id.rsplit('/').find(|p| !p.is_empty()).unwrap_or(id);
    Model {
        mode,
        id: id.to_string(),
        label: Words {
            ru: name.to_string(),
            en: name.to_string(),
        },
        price: (sources.mode_price)(mode),
        cost_usd: 0.0,
        cost: Kopecks::ZERO,
        note: Words::default(),
        formats: None,
        ratios: Vec::new(),
        max_images,
        list,
        instruction: None,
        english: false,
    }
}

fn read(e: Entry, sources: &Sources<'_>) -> Result<Model, String> {
    let mode: Mode = e.mode.parse()?;
    if !is_endpoint(&e.id) {
        return Err(format!(
            "id {:?} is not a fal endpoint such as fal-ai/flux/schnell",
            e.id
        ));
    }
    let label = e.label.words();
    if label.ru.is_empty() || label.ru.chars().count() > 40 || label.en.chars().count() > 40 {
        return Err("label must be 1 to 40 characters".into());
    }
    let price = match e.price {
        None => (sources.mode_price)(mode),
        Some(p) => roubles(p).ok_or_else(|| {
            format!("price {p} is not an amount in roubles from 0 with at most two decimals")
        })?,
    };
    let cost_usd = e.cost_usd.unwrap_or(0.0);
    if !(0.0..=1000.0).contains(&cost_usd) {
        return Err(format!("cost_usd {cost_usd} is not a dollar amount from 0"));
    }
    let cost = Kopecks((cost_usd * sources.usd_rub.0 as f64).round() as i64);
    let formats = e
        .formats
        .as_deref()
        .map(str::parse::<FormatField>)
        .transpose()?;
    let ratios = match (e.ratios, formats) {
        (Some(_), None) => return Err("ratios needs formats".into()),
        (None, _) => Format::SIX.to_vec(),
        (Some(list), Some(_)) => {
            let mut ratios = Vec::new();
            for r in list {
                let f: Format = r.parse()?;
                if f == Format::Source {
                    return Err("ratios lists fixed formats such as \"3:4\"".into());
                }
                if !ratios.contains(&f) {
                    ratios.push(f);
                }
            }
            if ratios.is_empty() {
                return Err("ratios is empty".into());
            }
            // The picker's order, whatever the file's.
            Format::SIX
                .iter()
                .copied()
                .filter(|f| ratios.contains(f))
                .collect()
        }
    };
    let default_max = if matches!(mode, Mode::Edit | Mode::Merge) {
        MAX_IMAGES as i64
    } else {
        1
    };
    let max_images = e.max_images.unwrap_or(default_max);
    if !(1..=MAX_IMAGES as i64).contains(&max_images) {
        return Err(format!("max_images must be from 1 to {MAX_IMAGES}"));
    }
    if mode == Mode::Merge && max_images < 2 {
        return Err("a merge model needs max_images of at least 2".into());
    }
    let list = match e.images.as_deref() {
        None => max_images > 1,
        Some("image_urls") => true,
        Some("image_url") if max_images == 1 => false,
        Some("image_url") => {
            return Err("images = \"image_url\" carries one picture: set max_images = 1".into());
        }
        Some(other) => return Err(format!("images {other:?} is not image_urls or image_url")),
    };
    let instruction = e.instruction.map(|i| i.trim().to_string());
    if instruction
        .as_ref()
        .is_some_and(|i| i.is_empty() || i.chars().count() > 1000)
    {
        return Err("instruction must be 1 to 1000 characters".into());
    }
    let english = match e.language.as_deref() {
        None | Some("any") => false,
        Some("en") => true,
        Some(other) => return Err(format!("language {other:?} is not any or en")),
    };
    let note = e.note.map(Text::words).unwrap_or_default();
    if note.ru.chars().count() > 200 || note.en.chars().count() > 200 {
        return Err("note must be one line of at most 200 characters".into());
    }
    Ok(Model {
        mode,
        id: e.id,
        label,
        price,
        cost_usd,
        cost,
        note,
        formats,
        ratios,
        max_images: max_images as usize,
        list,
        instruction,
        english,
    })
}

/// Roubles as written in the file (26, 7.5, 99.90) in kopecks; None for a negative amount or a third
/// decimal.
fn roubles(p: f64) -> Option<Kopecks> {
    let k = (p * 100.0).round();
    ((0.0..=100_000_000.0).contains(&k) && (p * 100.0 - k).abs() < 1e-6)
        .then_some(Kopecks(k as i64))
}

/// A fal endpoint id: path segments of letters, digits and `-_.`, no scheme, no leading slash.
pub fn is_endpoint(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('/')
        && !text.contains("://")
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build_with(text: &str, overrides: &BTreeMap<Mode, String>) -> Result<Catalogue, String> {
        build(&Sources {
            text,
            overrides,
            mode_price: &|_| Kopecks(1000),
            usd_rub: Kopecks(9000),
        })
    }

    #[test]
    fn the_embedded_catalogue_reads_and_offers_every_mode() {
        let c = build_with(EMBEDDED, &BTreeMap::new()).expect("embedded catalogue");
        assert_eq!(c.of(Mode::Generate).len(), 4);
        let pro = c.pick(Mode::Generate, Some("Nano Banana Pro"));
        assert_eq!(pro.price, Kopecks(2600));
        assert_eq!(pro.cost, Kopecks(1350), "0.15 $ at 90 ₽");
        assert_eq!(
            c.first(Mode::Generate).price,
            Kopecks(1000),
            "PRICE_<MODE> fills in"
        );
        assert_eq!(c.max_images(Mode::Edit), 8);
        let kontext = c.pick(Mode::Edit, Some("FLUX Kontext"));
        assert!(!kontext.list && kontext.english && !kontext.ratios.contains(&Format::Social));
        let define = c.pick(Mode::Retouch, Some("Усилить черты"));
        assert!(define.list && define.takes_words() && define.instruction.is_some());
        assert_eq!(define.label(true), "Define features");
        assert!(!c.first(Mode::Retouch).takes_words());
        assert_eq!(c.of(Mode::FaceSwap).len(), 1);
    }

    #[test]
    fn an_override_replaces_its_mode_with_one_model() {
        let mut o = BTreeMap::new();
        o.insert(Mode::Generate, "fal-ai/flux/dev".to_string());
        o.insert(Mode::Edit, "fal-ai/flux-pro/kontext".to_string());
        let c = build_with(EMBEDDED, &o).expect("catalogue");
        let only = c.of(Mode::Generate);
        assert_eq!(only.len(), 1);
        assert_eq!(
            (only[0].id.as_str(), only[0].key()),
            ("fal-ai/flux/dev", "dev")
        );
        assert!(only[0].formats.is_none() && !only[0].list);
        // A model the catalogue knows keeps what it knows of it.
        let edit = c.of(Mode::Edit);
        assert_eq!((edit.len(), edit[0].key()), (1, "FLUX Kontext"));
    }

    #[test]
    fn a_wrong_entry_is_named() {
        let none = BTreeMap::new();
        for (text, wanted) in [
            (
                "[[model]]\nmode = \"paint\"\nid = \"a/b\"\nlabel = \"x\"",
                "number 1",
            ),
            (
                "[[model]]\nmode = \"generate\"\nid = \"https://x\"\nlabel = \"x\"",
                "not a fal endpoint",
            ),
            (
                "[[model]]\nmode = \"generate\"\nid = \"a/b\"\nlabel = \"x\"\nprice = 1.005",
                "price",
            ),
            (
                "[[model]]\nmode = \"generate\"\nid = \"a/b\"\nlabel = \"x\"\nformats = \"size\"",
                "format field",
            ),
            (
                "[[model]]\nmode = \"merge\"\nid = \"a/b\"\nlabel = \"x\"\nmax_images = 1",
                "at least 2",
            ),
            (
                "[[model]]\nmode = \"edit\"\nid = \"a/b\"\nlabel = \"x\"\nmax_images = 9",
                "from 1 to 8",
            ),
            (
                "[[model]]\nmode = \"edit\"\nid = \"a/b\"\nlabel = \"x\"\ncolour = 1",
                "unknown field",
            ),
            (
                "[[model]]\nmode = \"generate\"\nid = \"a/b\"\nlabel = \"x\"",
                "no model for edit",
            ),
        ] {
            let e = build_with(text, &none).expect_err(text);
            assert!(e.contains(wanted), "{text}: {e}");
        }
    }
}
