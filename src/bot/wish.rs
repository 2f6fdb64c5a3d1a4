//! A typed wish for "add text" («крупный красный текст сверху на тёмной плашке», «small white text
//! bottom left») read into the same options the buttons set — by word stems, without a language
//! model: a wrong reading only changes a preview the user sees and can press back.

use crate::model::{Plate, Spot, TextColor, TextSize, TextStyle};

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
    let has = |stems: &[&str]| words.iter().any(|w| stems.iter().any(|s| w.starts_with(s)));
    let mut found = false;

    // The plate first: the colour word right before «плашке» / "plate" is the plate's, not the text's.
    let plate_at = words.iter().position(|w| {
        [
            "плашк",
            "подложк",
            "фон",
            "plate",
            "background",
            "box",
            "band",
        ]
        .iter()
        .any(|s| w.starts_with(s))
    });
    let mut plate_words = Vec::new();
    if let Some(at) = plate_at {
        let near = &words[at.saturating_sub(2)..at];
        let no = words[..at]
            .iter()
            .rev()
            .take(2)
            .any(|w| *w == "без" || *w == "no" || *w == "without");
        style.plate = if no {
            Plate::None
        } else if near.iter().any(|w| {
            ["темн", "черн", "dark", "black"]
                .iter()
                .any(|s| w.starts_with(s))
        }) {
            Plate::Dark
        } else if near.iter().any(|w| {
            ["светл", "бел", "light", "white"]
                .iter()
                .any(|s| w.starts_with(s))
        }) {
            Plate::Light
        } else {
            Plate::Dark
        };
        plate_words.extend(near.iter().copied());
        found = true;
    }
    let text_words: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !plate_words.contains(w))
        .collect();
    let says = |stems: &[&str]| {
        text_words
            .iter()
            .any(|w| stems.iter().any(|s| w.starts_with(s)))
    };

    let size = if says(&["огромн", "гигант", "huge", "giant", "xl", "максимальн"])
    {
        Some(TextSize::XL)
    } else if says(&["крупн", "больш", "large", "big"]) {
        Some(TextSize::L)
    } else if says(&["средн", "medium", "normal", "обычн"]) {
        Some(TextSize::M)
    } else if says(&["мелк", "маленьк", "небольш", "small", "tiny"]) {
        Some(TextSize::S)
    } else {
        None
    };
    if let Some(s) = size {
        style.size = s;
        found = true;
    }

    let color = [
        (&["бел", "white"][..], TextColor::White),
        (&["черн", "black"][..], TextColor::Black),
        (&["красн", "red"][..], TextColor::Red),
        (&["желт", "yellow", "золот", "gold"][..], TextColor::Yellow),
        (&["син", "голуб", "blue"][..], TextColor::Blue),
        (
            &["авто", "auto", "контраст", "contrast"][..],
            TextColor::Auto,
        ),
    ]
    .into_iter()
    .find(|(stems, _)| says(stems))
    .map(|(_, c)| c);
    if let Some(c) = color {
        style.color = c;
        found = true;
    }

    let row = if has(&["сверху", "вверху", "наверху", "верх", "top", "upper"])
    {
        Some(0)
    } else if has(&["снизу", "внизу", "низ", "bottom", "lower"]) {
        Some(2)
    } else if has(&["посередин", "середин", "middle"]) {
        Some(1)
    } else {
        None
    };
    let col = if has(&["слева", "лев", "left"]) {
        Some(0)
    } else if has(&["справа", "прав", "right"]) {
        Some(2)
    } else {
        None
    };
    // «по центру» / "centre": the middle of whatever was not named.
    let centre = has(&["центр", "center", "centre"]);
    if row.is_some() || col.is_some() || centre {
        let (r0, c0) = style.spot.cell();
        let r = row.unwrap_or(if centre && col.is_none() && row.is_none() {
            1
        } else {
            r0
        });
        let c = col.unwrap_or(if centre || row.is_some() { 1 } else { c0 });
        style.spot = Spot::at(r, c);
        found = true;
    }
    found
}

/// Stems of the words that set an option.
const OPTIONS: &[&str] = &[
    "плашк",
    "подложк",
    "фон",
    "plate",
    "background",
    "box",
    "band",
    "темн",
    "черн",
    "dark",
    "black",
    "светл",
    "бел",
    "light",
    "white",
    "огромн",
    "гигант",
    "huge",
    "giant",
    "xl",
    "максимальн",
    "крупн",
    "больш",
    "large",
    "big",
    "средн",
    "medium",
    "normal",
    "обычн",
    "мелк",
    "маленьк",
    "небольш",
    "small",
    "tiny",
    "красн",
    "red",
    "желт",
    "yellow",
    "золот",
    "gold",
    "син",
    "голуб",
    "blue",
    "авто",
    "auto",
    "контраст",
    "contrast",
    "сверху",
    "вверху",
    "наверху",
    "верх",
    "top",
    "upper",
    "снизу",
    "внизу",
    "низ",
    "bottom",
    "lower",
    "посередин",
    "середин",
    "middle",
    "слева",
    "лев",
    "left",
    "справа",
    "прав",
    "right",
    "центр",
    "center",
    "centre",
];

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
    OPTIONS.iter().any(|s| word.starts_with(s))
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
