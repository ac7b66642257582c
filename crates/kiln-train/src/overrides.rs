//! `--set KEY=VALUE` overrides, and "did you mean" hints for unknown keys and choices.

use crate::TrainError;

/// Applies `a.b.c=value` to `document`. The value is read as a TOML value (`0.01`, `true`,
/// `[64, 32]`, `"text"`); anything that is not valid TOML is taken as a string, so
/// `device=wgpu` works without quotes.
pub fn apply(document: &mut toml::Table, assignment: &str) -> Result<(), TrainError> {
    let error = |reason: String| TrainError::Override {
        assignment: assignment.to_string(),
        reason,
    };
    let Some((path, raw)) = assignment.split_once('=') else {
        return Err(error(
            "expected KEY=VALUE, e.g. train.optimizer.lr=0.01".into(),
        ));
    };
    let keys: Vec<&str> = path.trim().split('.').map(str::trim).collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(error(format!("`{path}` is not a dotted key path")));
    }
    let value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .unwrap_or_else(|| toml::Value::String(raw.to_string())),
        // A value that starts like a TOML string, list or table was meant as one: a typo in it
        // must not become the literal text (`name="a", seed=1` named the run `"a", seed=1`).
        // Nor must a number TOML cannot hold (`seed=18446744073709551615`, `lr=5.`).
        Err(e)
            if raw.trim_start().starts_with(['"', '\'', '[', '{'])
                || raw.trim().parse::<f64>().is_ok() =>
        {
            let how = if raw.trim().parse::<f64>().is_ok() {
                "write numbers as TOML holds them: whole ones up to 9223372036854775807, \
                 decimals with a digit after the point (5.0)"
            } else {
                "quote text as \"text\", lists as [1, 2], tables as {key = 1}, one --set per key"
            };
            return Err(error(format!(
                "`{}` is not a valid TOML value ({}); {how}",
                raw.trim(),
                e.message()
            )));
        }
        Err(_) => toml::Value::String(raw.trim().to_string()),
    };
    let (last, parents) = keys.split_last().ok_or_else(|| error("empty key".into()))?;
    let mut table = document;
    for (depth, key) in parents.iter().enumerate() {
        let entry = table
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = entry.as_table_mut().ok_or_else(|| {
            error(format!(
                "`{}` is a value, not a section",
                keys[..=depth].join(".")
            ))
        })?;
    }
    table.insert(last.to_string(), value);
    Ok(())
}

/// Appends "did you mean `x`?" to a serde message about an unknown field or variant, and names
/// Rust's integer types in words.
pub fn with_suggestion(message: &str) -> String {
    let message = &message
        .replace("expected usize", "expected a whole number ≥ 0")
        .replace("expected u64", "expected a whole number ≥ 0");
    // `--set data.target=2021` reads 2021 as a number: text that looks like one needs quotes.
    if message.contains("expected a string")
        && let Some(value) = between(message, "invalid type: ", ",")
            .and_then(|kind| kind.split_once(" `"))
            .map(|(_, v)| v.trim_end_matches('`'))
    {
        let key = between(message, "in `", "`").unwrap_or("KEY");
        let last = key.rsplit('.').next().unwrap_or(key);
        // The keys whose values are lists of text: the number is one of the list's items.
        const TEXT_LISTS: [&str; 4] = [
            "data.na_values",
            "data.features",
            "data.drop",
            "data.categorical",
        ];
        if TEXT_LISTS.contains(&key) {
            return format!(
                "{}\nto give the text {value}, quote it inside the list: `{last} = \
                 [\"{value}\", …]` in the file, or --set {key}='[\"{value}\", …]'",
                message.trim_end()
            );
        }
        return format!(
            "{}\nto give the text {value}, quote it: `{last} = \"{value}\"` in the file, or \
             --set {key}='\"{value}\"'",
            message.trim_end()
        );
    }
    let Some(name) = between(message, "unknown field `", "`")
        .or_else(|| between(message, "unknown variant `", "`"))
    else {
        return message.clone();
    };
    let expected = message.split_once("expected").map_or("", |(_, rest)| rest);
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    // `learning_rate` → `lr`: a candidate spelled by the initials of the name's words.
    let initials: String = name.split('_').filter_map(|w| w.chars().next()).collect();
    let abbreviation = candidates
        .iter()
        .copied()
        .find(|c| initials.len() > 1 && *c == initials);
    // Other tools' names for a key (pandas' `sep` and `names`, Python csv's `delimiter`, and
    // `header = false` for a file without a header line).
    const SYNONYMS: [(&str, &str); 10] = [
        ("delimiter", "separator"),
        ("sep", "separator"),
        ("decimal_mark", "decimal"),
        ("decimal_separator", "decimal"),
        ("names", "columns"),
        ("column_names", "columns"),
        ("header", "columns"),
        ("headers", "columns"),
        ("has_header", "columns"),
        ("no_header", "columns"),
    ];
    let synonym = SYNONYMS
        .iter()
        .find(|(other, key)| *other == name && candidates.contains(key))
        .map(|(_, key)| *key);
    match synonym
        .or(abbreviation)
        .or_else(|| kiln_data::closest(name, candidates.iter().copied()))
    {
        Some(best) => format!("{}\ndid you mean `{best}`?", message.trim_end()),
        None => message.clone(),
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_typed_like_toml_and_bare_words_are_strings() {
        let mut doc = toml::Table::new();
        apply(&mut doc, "train.optimizer.lr=0.01").expect("applies");
        apply(&mut doc, "device=wgpu").expect("applies");
        apply(&mut doc, "model.hidden=[8, 4]").expect("applies");
        assert_eq!(doc["train"]["optimizer"]["lr"].as_float(), Some(0.01));
        assert_eq!(doc["device"].as_str(), Some("wgpu"));
        assert_eq!(doc["model"]["hidden"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn a_broken_list_or_string_is_an_error_not_text() {
        let mut doc = toml::Table::new();
        for raw in [
            "model.hidden=[32,16",
            "name=\"a\", seed=1",
            "seed=18446744073709551615",
            "train.optimizer.lr=5.",
        ] {
            let err = apply(&mut doc, raw).unwrap_err().to_string();
            assert!(err.contains("is not a valid TOML value"), "{err}");
        }
        assert!(doc.is_empty());
    }

    #[test]
    fn a_number_where_text_is_expected_gets_the_quoted_form() {
        let msg = "invalid type: integer `2021`, expected a string\nin `data.target`\n";
        let said = with_suggestion(msg);
        assert!(
            said.ends_with("`target = \"2021\"` in the file, or --set data.target='\"2021\"'"),
            "{said}"
        );
    }

    #[test]
    fn a_number_in_a_list_of_text_gets_the_quoted_list() {
        let msg = "invalid type: integer `-999`, expected a string\nin `data.na_values`\n";
        let said = with_suggestion(msg);
        assert!(
            said.ends_with(
                "quote it inside the list: `na_values = [\"-999\", …]` in the file, or \
                 --set data.na_values='[\"-999\", …]'"
            ),
            "{said}"
        );
    }

    #[test]
    fn a_value_used_as_a_section_is_an_error() {
        let mut doc: toml::Table = toml::from_str("name = \"x\"").expect("toml");
        let err = apply(&mut doc, "name.first=1").unwrap_err().to_string();
        assert!(err.contains("`name` is a value"), "{err}");
    }

    #[test]
    fn unknown_keys_get_the_closest_suggestion() {
        let msg = "unknown field `learning_rte`, expected one of `kind`, `lr`, `momentum`";
        assert!(with_suggestion(msg).ends_with("did you mean `lr`?"));
        let msg = "unknown field `epoch`, expected one of `solver`, `epochs`, `batch_size`";
        assert!(with_suggestion(msg).ends_with("did you mean `epochs`?"));
        let msg = "unknown variant `adamw2`, expected one of `sgd`, `adam`, `adamw`";
        assert!(with_suggestion(msg).ends_with("did you mean `adamw`?"));
        let msg = "unknown field `delimiter`, expected one of `path`, `separator`, `decimal`";
        assert!(with_suggestion(msg).ends_with("did you mean `separator`?"));
        let msg = "unknown field `header`, expected one of `path`, `decimal`, `columns`";
        assert!(with_suggestion(msg).ends_with("did you mean `columns`?"));
    }
}
