//! A typed wish for "add text" («крупный красный текст сверху на тёмной плашке», «small white text
//! bottom left») read into the same options the buttons set — by word stems, without a language
//! model: a wrong reading only changes a preview the user sees and can press back.

use crate::model::{Plate, Spot, TextColor, TextSize, TextStyle};

// Stems of the words that set an option, by what they set.
const PLATE: &[&str] = &[
    "плашк",
    "подложк",
    "фон",
    "plate",
    "background",
    "box",
    "band",
];
const DARK: &[&str] = &["темн", "черн", "dark", "black"];
const LIGHT: &[&str] = &["светл", "бел", "light", "white"];
const XL: &[&str] = &["огромн", "гигант", "huge", "giant", "xl", "максимальн"];
const L: &[&str] = &["крупн", "больш", "large", "big"];
const M: &[&str] = &["средн", "medium", "normal", "обычн"];
const S: &[&str] = &["мелк", "маленьк", "небольш", "small", "tiny"];
const COLORS: &[(&[&str], TextColor)] = &[
    (&["бел", "white"], TextColor::White),
    (&["черн", "black"], TextColor::Black),
    (&["красн", "red"], TextColor::Red),
    (&["желт", "yellow", "золот", "gold"], TextColor::Yellow),
    (&["син", "голуб", "blue"], TextColor::Blue),
    (&["авто", "auto", "контраст", "contrast"], TextColor::Auto),
];
const TOP: &[&str] = &["сверху", "вверху", "наверху", "верх", "top", "upper"];
const BOTTOM: &[&str] = &["снизу", "внизу", "низ", "bottom", "lower"];
const MIDDLE: &[&str] = &["посередин", "середин", "middle"];
const LEFT: &[&str] = &["слева", "лев", "left"];
const RIGHT: &[&str] = &["справа", "прав", "right"];
const CENTRE: &[&str] = &["центр", "center", "centre"];

/// Whether `word` begins with one of `stems`.
fn is(word: &str, stems: &[&str]) -> bool {
    stems.iter().any(|s| word.starts_with(s))
}

/// Applies what `wish` names to `style`; false when it names nothing (then it is new text, not a
/// wish).
pub fn apply(style: &mut TextStyle, wish: &str) -> bool {
    let lower = wish.to_lowercase().replace('ё', "е");
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // A wish is made of these words only; anything else («Большая распродажа») is text to draw.
    if words.is_empty() || !words.iter().all(|w| known(w)) {
        return false;
    }
    let has = |stems: &[&str]| words.iter().any(|w| is(w, stems));
    let mut found = false;

    // The plate first: the colour word right before «плашке» / "plate" is the plate's, not the text's.
    let mut plate_words = Vec::new();
    if let Some(at) = words.iter().position(|w| is(w, PLATE)) {
        let near = &words[at.saturating_sub(2)..at];
        let no = words[..at]
            .iter()
            .rev()
            .take(2)
            .any(|w| *w == "без" || *w == "no" || *w == "without");
        style.plate = if no {
            Plate::None
        } else if near.iter().any(|w| is(w, DARK)) {
            Plate::Dark
        } else if near.iter().any(|w| is(w, LIGHT)) {
            Plate::Light
        } else {
            Plate::Dark
        };
        plate_words.extend(near.iter().copied());
        found = true;
    }
    let says = |stems: &[&str]| {
        words
            .iter()
            .filter(|w| !plate_words.contains(w))
            .any(|w| is(w, stems))
    };

    let sizes = [
        (XL, TextSize::XL),
        (L, TextSize::L),
        (M, TextSize::M),
        (S, TextSize::S),
    ];
    if let Some((_, size)) = sizes.iter().find(|(stems, _)| says(stems)) {
        style.size = *size;
        found = true;
    }
    if let Some((_, color)) = COLORS.iter().find(|(stems, _)| says(stems)) {
        style.color = *color;
        found = true;
    }

    let row = [(TOP, 0), (BOTTOM, 2), (MIDDLE, 1)]
        .into_iter()
        .find(|(stems, _)| has(stems))
        .map(|(_, r)| r);
    let col = [(LEFT, 0), (RIGHT, 2)]
        .into_iter()
        .find(|(stems, _)| has(stems))
        .map(|(_, c)| c);
    // «по центру» / "centre": the middle of whatever was not named.
    let centre = has(CENTRE);
    if row.is_some() || col.is_some() || centre {
        let (r0, c0) = style.spot.cell();
        let r = row.unwrap_or(if centre && col.is_none() { 1 } else { r0 });
        let c = col.unwrap_or(if centre || row.is_some() { 1 } else { c0 });
        style.spot = Spot::at(r, c);
        found = true;
    }
    found
}

/// Stems of the words around them («текст … на … плашке», "text … on a plate").
const FILLER: &[&str] = &[
    "текст",
    "надпис",
    "шрифт",
    "букв",
    "цвет",
    "размер",
    "сдела",
    "постав",
    "пусть",
    "будет",
    "пожалуйста",
    "угл",
    "сторон",
    "част",
    "на",
    "в",
    "во",
    "по",
    "с",
    "со",
    "и",
    "без",
    "text",
    "font",
    "letter",
    "colo",
    "size",
    "make",
    "put",
    "please",
    "corner",
    "side",
    "the",
    "a",
    "an",
    "on",
    "in",
    "at",
    "with",
    "and",
    "no",
    "without",
    "it",
];

fn known(word: &str) -> bool {
    let options = [
        PLATE, DARK, LIGHT, XL, L, M, S, TOP, BOTTOM, MIDDLE, LEFT, RIGHT, CENTRE,
    ];
    options
        .iter()
        .chain(COLORS.iter().map(|(stems, _)| stems))
        .any(|stems| is(word, stems))
        || FILLER
            .iter()
            .any(|s| word == *s || (s.chars().count() > 2 && word.starts_with(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(wish: &str) -> Option<TextStyle> {
        let mut s = TextStyle::default();
        apply(&mut s, wish).then_some(s)
    }

    #[test]
    fn russian_and_english_wishes_set_the_buttons_options() {
        assert_eq!(
            read("крупный красный текст сверху на тёмной плашке"),
            Some(TextStyle {
                size: TextSize::L,
                color: TextColor::Red,
                spot: Spot::TopCenter,
                plate: Plate::Dark,
            })
        );
        assert_eq!(
            read("small white text bottom left"),
            Some(TextStyle {
                size: TextSize::S,
                color: TextColor::White,
                spot: Spot::BottomLeft,
                plate: Plate::None,
            })
        );
        let s = read("чёрный текст на белой плашке справа внизу").expect("a wish");
        assert_eq!(
            (s.color, s.plate, s.spot),
            (TextColor::Black, Plate::Light, Spot::BottomRight)
        );
        assert_eq!(read("по центру").map(|s| s.spot), Some(Spot::Center));
        assert_eq!(read("без плашки").map(|s| s.plate), Some(Plate::None));
    }

    #[test]
    fn words_that_are_not_a_wish_are_text() {
        assert_eq!(read("С днём рождения, мама!"), None);
        assert_eq!(read("Скидка 50% только сегодня"), None);
        assert_eq!(read("Большая распродажа"), None);
        assert_eq!(
            read("в левом верхнем углу").map(|s| s.spot),
            Some(Spot::TopLeft)
        );
    }
}
