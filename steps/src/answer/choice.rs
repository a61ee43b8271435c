//! Multiple choice: which listed option a reply picks (payload, id, number, label, keyword,
//! or one label mentioned in a sentence), or none when it is ambiguous.

use super::{answer_text, fold};
use crate::message::InboundMessage;

/// One option of a multiple-choice question as the matcher needs it.
#[derive(Debug, Clone, Copy)]
pub struct ChoiceOption<'a> {
    /// The option's id, which is also the payload of its button.
    pub id: &'a str,
    /// The text shown to the contact.
    pub label: &'a str,
    /// Extra words that also select this option when typed on their own.
    pub keywords: &'a [String],
}

/// Splits folded text into words, so "billing, please" and "billing please" look alike.
fn words(folded: &str) -> Vec<&str> {
    folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

/// How many options a matching rule selected.
enum Hits {
    None,
    One(usize),
    Several,
}

fn hits(mut indices: impl Iterator<Item = usize>) -> Hits {
    match (indices.next(), indices.next()) {
        (None, _) => Hits::None,
        (Some(i), None) => Hits::One(i),
        (Some(_), Some(_)) => Hits::Several,
    }
}

/// Reads "2", "2.", "2)", "#2" as the 0-based index of a listed option.
fn option_number(text: &str, count: usize) -> Option<usize> {
    let t = text.trim();
    let t = t.strip_prefix('#').unwrap_or(t);
    let t = t.strip_suffix(['.', ')']).unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = t.parse().ok()?;
    (1..=count).contains(&n).then(|| n - 1)
}

/// Index of the option the contact picked, matching in this order:
///
/// 1. the button payload equals an option id (exact);
/// 2. the text equals the option id (case-insensitive);
/// 3. the text is the option's 1-based number ("2", "2.", "2)", "#2", " 2 ");
/// 4. the text equals the label ignoring case, accents ("Facturación" == "facturacion"),
///    surrounding whitespace and trailing punctuation (see [`fold`]);
/// 5. the text equals one of the option's keywords the same way;
/// 6. the folded text contains exactly one option's folded label as a whole word sequence
///    ("I want billing please" picks Billing); several labels make it ambiguous: `None`.
///
/// When the channel sends a payload but no text, the payload is also tried as text, so a
/// bare quick-reply title still matches. When the exact label or keyword rules select more
/// than one option, the answer is ambiguous and no later rule is tried. In the last rule, a
/// label found only inside a longer label's occurrence ("card" inside "credit card") does not
/// count as a separate mention.
pub fn match_choice(options: &[ChoiceOption<'_>], msg: &InboundMessage) -> Option<usize> {
    if let Some(payload) = msg.payload.as_deref() {
        if let Some(i) = options.iter().position(|o| o.id == payload) {
            return Some(i);
        }
    }

    let text = answer_text(msg);
    if text.is_empty() {
        return None;
    }

    let lowered = text.to_lowercase();
    if let Some(i) = options.iter().position(|o| o.id.to_lowercase() == lowered) {
        return Some(i);
    }

    let folded = fold(text);
    if folded.is_empty() {
        return None;
    }

    // A label that is exactly the text wins over option numbers, so that with options
    // labelled "5", "10" and "20" typing "10" picks "10", not the tenth option.
    let by_label = options.iter().enumerate().filter(|(_, o)| fold(o.label) == folded);
    match hits(by_label.map(|(i, _)| i)) {
        Hits::One(i) => return Some(i),
        Hits::Several => return None,
        Hits::None => {}
    }

    if let Some(i) = option_number(text, options.len()) {
        return Some(i);
    }

    let by_keyword = options.iter().enumerate().filter(|(_, o)| {
        o.keywords.iter().any(|k| {
            let k = fold(k);
            !k.is_empty() && k == folded
        })
    });
    match hits(by_keyword.map(|(i, _)| i)) {
        Hits::One(i) => return Some(i),
        Hits::Several => return None,
        Hits::None => {}
    }

    label_mentioned(options, &folded)
}

/// The last matching rule: exactly one option's label appears in the text as whole words.
fn label_mentioned(options: &[ChoiceOption<'_>], folded: &str) -> Option<usize> {
    let text_words = words(folded);
    // Every occurrence as (option index, first word, one past the last word).
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for (i, option) in options.iter().enumerate() {
        let label = fold(option.label);
        let label_words = words(&label);
        if label_words.is_empty() || label_words.len() > text_words.len() {
            continue;
        }
        for (start, window) in text_words.windows(label_words.len()).enumerate() {
            if window == label_words.as_slice() {
                spans.push((i, start, start + label_words.len()));
            }
        }
    }

    let inside_longer = |&(i, s, e): &(usize, usize, usize)| {
        spans.iter().any(|&(j, s2, e2)| j != i && s2 <= s && e <= e2 && e2 - s2 > e - s)
    };
    let mut mentioned: Vec<usize> = spans.iter().filter(|span| !inside_longer(span)).map(|&(i, _, _)| i).collect();
    mentioned.dedup();
    match mentioned.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn a_label_that_is_a_number_wins_over_the_option_number() {
        let kw: Vec<String> = Vec::new();
        let options = [
            ChoiceOption { id: "five", label: "5", keywords: &kw },
            ChoiceOption { id: "ten", label: "10", keywords: &kw },
            ChoiceOption { id: "twenty", label: "20", keywords: &kw },
        ];
        assert_eq!(match_choice(&options, &InboundMessage::text("10")), Some(1));
        assert_eq!(match_choice(&options, &InboundMessage::text("2")), Some(1));
    }

    fn kw(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn choice_cases() {
        let billing_kw = kw(&["invoice", "payment"]);
        let sales_kw = kw(&["buy", "pricing"]);
        let support_kw = kw(&["help", "broken"]);
        let options = [
            ChoiceOption { id: "billing", label: "Facturación", keywords: &billing_kw },
            ChoiceOption { id: "sales", label: "Sales", keywords: &sales_kw },
            ChoiceOption { id: "support", label: "Technical support", keywords: &support_kw },
        ];
        let check = |msg: InboundMessage, expected: Option<usize>| {
            assert_eq!(match_choice(&options, &msg), expected, "{msg:?}");
        };

        // Payload first, exact, and it wins over the text.
        check(InboundMessage::button("sales", "Facturación"), Some(1));
        check(InboundMessage::button("support", "1"), Some(2));
        // A payload that is not an id (a stale button) falls back to the text.
        check(InboundMessage::button("old-button", "Sales"), Some(1));
        // A payload with no text is tried as text too.
        check(payload_only("SALES"), Some(1));
        // The id typed, ignoring case.
        check(text("BILLING"), Some(0));
        check(text(" support "), Some(2));
        // Option numbers.
        check(text("2"), Some(1));
        check(text("2."), Some(1));
        check(text("2)"), Some(1));
        check(text("#3"), Some(2));
        check(text(" 1 "), Some(0));
        check(text("4"), None);
        check(text("0"), None);
        // Labels: case, accents, whitespace, trailing punctuation.
        check(text("facturacion"), Some(0));
        check(text("FACTURACIÓN!"), Some(0));
        check(text("  technical   SUPPORT . "), Some(2));
        // Keywords, folded the same way.
        check(text("Invoice"), Some(0));
        check(text("pricing?"), Some(1));
        check(text("HELP!"), Some(2));
        // A label mentioned as whole words.
        check(text("I want facturacion please"), Some(0));
        check(text("I need technical support, now"), Some(2));
        check(text("¿Facturación?"), Some(0));
        // Part of a word is no mention.
        check(text("salesforce"), None);
        // Two labels mentioned: ambiguous.
        check(text("sales or facturación"), None);
        // Nothing matches.
        check(text("banana"), None);
        check(text(""), None);
        check(InboundMessage::default(), None);
        check(text("?!"), None);
    }

    #[test]
    fn choice_ambiguity_and_overlap() {
        let none: Vec<String> = Vec::new();
        let shared = kw(&["card"]);
        let options = [
            ChoiceOption { id: "a", label: "Card", keywords: &none },
            ChoiceOption { id: "b", label: "Credit card", keywords: &shared },
            ChoiceOption { id: "c", label: "Debit card", keywords: &shared },
        ];
        let check = |input: &str, expected: Option<usize>| {
            assert_eq!(match_choice(&options, &text(input)), expected, "{input:?}");
        };
        // The exact label beats the keyword shared by two options.
        check("card", Some(0));
        // "card" inside "credit card" is not a separate mention.
        check("I'd like a credit card", Some(1));
        check("pay by debit card please", Some(2));
        // A standalone "card" as well as "credit card" is ambiguous.
        check("credit card or just a card", None);
        check("credit card or debit card", None);

        let dup = [
            ChoiceOption { id: "x", label: "Other", keywords: &shared },
            ChoiceOption { id: "y", label: "Something", keywords: &shared },
        ];
        // A keyword shared by two options is ambiguous.
        assert_eq!(match_choice(&dup, &text("card")), None);
    }
}
