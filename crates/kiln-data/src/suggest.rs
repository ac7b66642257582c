//! "Did you mean …?" for misspelled names.

/// `", did you mean `best`?"` when a candidate is close enough to `name`, else an empty string.
/// When the two differ only in accents, or in how their accents are encoded (`ö` as one code
/// point, or as `o` and a combining mark, as macOS tools write it), it says so: the two names
/// look the same on screen.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let same_letters = candidates
        .iter()
        .find(|c| **c != name && unaccented(c) == unaccented(name));
    if let Some(twin) = same_letters {
        return format!(
            ", did you mean `{twin}`? (the two differ only in accents, or in how an accent is \
             encoded: composed as one character, or as a letter and a combining mark; copy the \
             name from the file)"
        );
    }
    if let Some(cased) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return format!(", did you mean `{cased}`? (names must match in case too)");
    }
    // `age` for `age (years)` or `(num) (the predicted attribute)`: the name is a word of it.
    let holds = |c: &str| {
        c.split(|ch: char| !ch.is_alphanumeric() && ch != '_')
            .any(|w| w == name)
    };
    if let Some(longer) = candidates.iter().find(|c| holds(c)) {
        return format!(", did you mean `{longer}`? (names must match whole)");
    }
    closest(name, candidates)
        .map(|c| format!(", did you mean `{c}`?"))
        .unwrap_or_default()
}

/// The candidate closest to `name` by Jaro-Winkler similarity, if it is similar enough to be a
/// likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `text` without accents: combining marks dropped and the accented Latin letters of
/// Western, Central and Northern European languages written as their base letter.
fn unaccented(text: &str) -> String {
    const ACCENTED: [(&str, char); 24] = [
        ("ÀÁÂÃÄÅĀĂĄ", 'A'),
        ("àáâãäåāăą", 'a'),
        ("ÇĆĈĊČ", 'C'),
        ("çćĉċč", 'c'),
        ("ÈÉÊËĒĔĖĘĚ", 'E'),
        ("èéêëēĕėęě", 'e'),
        ("ÌÍÎÏĨĪĬĮİ", 'I'),
        ("ìíîïĩīĭįı", 'i'),
        ("ÑŃŅŇ", 'N'),
        ("ñńņň", 'n'),
        ("ÒÓÔÕÖŌŎŐ", 'O'),
        ("òóôõöōŏő", 'o'),
        ("ÙÚÛÜŨŪŬŮŰŲ", 'U'),
        ("ùúûüũūŭůűų", 'u'),
        ("ÝŸ", 'Y'),
        ("ýÿ", 'y'),
        ("ŚŜŞŠ", 'S'),
        ("śŝşš", 's'),
        ("ŹŻŽ", 'Z'),
        ("źżž", 'z'),
        ("ĎĐ", 'D'),
        ("ďđ", 'd'),
        ("ŘŔ", 'R'),
        ("řŕ", 'r'),
    ];
    text.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| {
            ACCENTED
                .iter()
                .find(|(accented, _)| accented.contains(c))
                .map_or(c, |&(_, base)| base)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_in_another_case_or_inside_a_longer_one_is_suggested() {
        let said = did_you_mean("Age", ["age", "sex"]);
        assert!(said.contains("`age`") && said.contains("in case"), "{said}");
        let said = did_you_mean("num", ["(age)", "(num) (the predicted attribute)"]);
        assert!(said.contains("`(num) (the predicted attribute)`"), "{said}");
    }

    #[test]
    fn names_that_differ_only_in_accents_or_their_encoding_are_said_to() {
        // `Größe` composed (as typed in a config) and decomposed (as macOS writes a header).
        let composed = "Gr\u{f6}\u{df}e";
        let decomposed = "Gro\u{308}\u{df}e";
        let said = did_you_mean(composed, [decomposed, "Gewicht"]);
        assert!(
            said.contains("differ only in accents, or in how an accent is encoded"),
            "{said}"
        );
        assert!(did_you_mean("Resume", ["Résumé"]).contains("differ only in accents"));
        assert_eq!(did_you_mean("income", ["incme"]), ", did you mean `incme`?");
        assert_eq!(did_you_mean("age", ["income"]), "");
    }
}
