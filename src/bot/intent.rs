//! What a text typed outside any mode is: a greeting, a question about money, or (everything else)
//! a picture to make. Plain word lists, no model: a wrong guess costs nothing, because a prompt is
//! only ever offered, never run, and the other two answers keep the menu one tap away.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// «привет», «спасибо», «ok»: answered with the menu.
    Greeting,
    /// «я оплатил, а баланс не пополнился»: answered with the way to settle it.
    Payment,
    /// Anything else: offered as a picture.
    Prompt,
}

/// Short texts that are only politeness.
const GREETINGS: &[&str] = &[
    "привет",
    "приветик",
    "здравствуй",
    "здравствуйте",
    "добрый день",
    "добрый вечер",
    "доброе утро",
    "хай",
    "салют",
    "спасибо",
    "спс",
    "благодарю",
    "ок",
    "окей",
    "хорошо",
    "понятно",
    "ясно",
    "пока",
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank you",
    "thx",
    "ok",
    "okay",
    "bye",
];

/// Word stems of a payment question; a picture is rarely described with them.
const PAYMENT: &[&str] = &[
    "оплат",
    "оплочен",
    "заплат",
    "платёж",
    "платеж",
    "пополн",
    "баланс",
    "деньг",
    "списал",
    "списан",
    "возврат",
    "верните",
    "вернуть деньги",
    "не пришл",
    "не зачисл",
    "чек ",
    "paid",
    "payment",
    "refund",
    "balance",
    "charged",
    "top up",
    "top-up",
    "money",
];

pub fn of(text: &str) -> Intent {
    let lower = text.trim().to_lowercase();
    let bare: String = lower
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if bare.is_empty() || GREETINGS.contains(&bare.as_str()) {
        return Intent::Greeting;
    }
    // "привет, бот" / "hi there": a greeting word and at most one more.
    let words: Vec<&str> = bare.split(' ').collect();
    if words.len() <= 2 && GREETINGS.contains(&words[0]) {
        return Intent::Greeting;
    }
    let padded = format!("{lower} ");
    if PAYMENT.iter().any(|stem| padded.contains(stem)) {
        return Intent::Payment;
    }
    Intent::Prompt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_are_not_pictures() {
        for t in [
            "привет",
            "Привет!",
            "привет бот",
            "Спасибо)",
            "ok",
            "Hello there",
            "👍",
        ] {
            assert_eq!(of(t), Intent::Greeting, "{t}");
        }
    }

    #[test]
    fn payment_questions_are_not_pictures() {
        for t in [
            "Я оплатил 100 ₽ картой, а баланс не пополнился",
            "где мои деньги",
            "I paid but nothing arrived",
            "верните деньги",
        ] {
            assert_eq!(of(t), Intent::Payment, "{t}");
        }
    }

    #[test]
    fn descriptions_are_pictures() {
        for t in [
            "нарисуй кота-космонавта",
            "рыжая лиса в снегу, фотореализм",
            "сделай фон синим",
            "привет от кота с табличкой",
            "a red fox in the snow",
        ] {
            assert_eq!(of(t), Intent::Prompt, "{t}");
        }
    }
}
