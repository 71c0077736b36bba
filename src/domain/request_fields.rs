//! The extra fields a provider asks consumers to fill when they request
//! access to a resource: a small schema edited in a form, checked when saved,
//! and used to check what a consumer sends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Number,
    Select,
    Checkbox,
}

impl FieldKind {
    pub const ALL: [FieldKind; 4] = [
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Select,
        FieldKind::Checkbox,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Select => "select",
            FieldKind::Checkbox => "checkbox",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestField {
    /// The key the value is stored under: lowercase letters, digits, `_`.
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// For `select`: the choices, in order.
    #[serde(default)]
    pub options: Vec<String>,
    /// For `text`: a regular expression the whole value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub help: String,
}

/// One row of the field editor, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldRow {
    pub name: String,
    pub label: String,
    pub kind: String,
    pub required: bool,
    /// One option per line, or separated by commas.
    pub options: String,
    pub pattern: String,
    pub help: String,
}

impl FieldRow {
    pub fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.label.trim().is_empty()
            && self.options.trim().is_empty()
            && self.pattern.trim().is_empty()
            && self.help.trim().is_empty()
    }

    pub fn from_field(f: &RequestField) -> Self {
        Self {
            name: f.name.clone(),
            label: f.label.clone(),
            kind: f.kind.as_str().to_owned(),
            required: f.required,
            options: f.options.join("\n"),
            pattern: f.pattern.clone().unwrap_or_default(),
            help: f.help.clone(),
        }
    }
}

pub const MAX_FIELDS: usize = 20;
const MAX_PATTERN: usize = 200;
pub const MAX_VALUE_CHARS: usize = 500;

fn compile(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|_| "The pattern is not a valid regular expression.".to_owned())
}

fn parse_row(row: &FieldRow) -> Result<RequestField, String> {
    let name = row.name.trim().to_lowercase();
    let name_ok = name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !name_ok {
        return Err(
            "The name starts with a letter and uses a-z, 0-9 and _ (at most 40).".to_owned(),
        );
    }
    let label = row.label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err("Give a label of 1 to 80 characters.".to_owned());
    }
    let kind = FieldKind::parse(&row.kind)
        .ok_or_else(|| "Choose text, number, select or checkbox.".to_owned())?;
    let mut options: Vec<String> = Vec::new();
    if kind == FieldKind::Select {
        for o in row.options.split(['\n', ',']).map(str::trim) {
            if !o.is_empty() && !options.iter().any(|x| x == o) {
                options.push(o.to_owned());
            }
        }
        if options.is_empty() {
            return Err("A select field lists at least one option.".to_owned());
        }
        if options.len() > 50 || options.iter().any(|o| o.chars().count() > 80) {
            return Err("Use at most 50 options of at most 80 characters.".to_owned());
        }
    } else if !row.options.trim().is_empty() {
        return Err("Only a select field has options.".to_owned());
    }
    let pattern = row.pattern.trim();
    let pattern = if pattern.is_empty() {
        None
    } else if kind != FieldKind::Text {
        return Err("Only a text field has a pattern.".to_owned());
    } else if pattern.len() > MAX_PATTERN {
        return Err(format!(
            "Use a pattern of at most {MAX_PATTERN} characters."
        ));
    } else {
        compile(pattern)?;
        Some(pattern.to_owned())
    };
    let help = row.help.trim();
    if help.chars().count() > 300 {
        return Err("Use at most 300 characters of help.".to_owned());
    }
    Ok(RequestField {
        name,
        label: label.to_owned(),
        kind,
        required: row.required,
        options,
        pattern,
        help: help.to_owned(),
    })
}

/// Checks the editor's rows; blank rows are dropped. Errors are by row index.
pub fn parse_rows(rows: &[FieldRow]) -> Result<Vec<RequestField>, BTreeMap<usize, String>> {
    let mut fields: Vec<RequestField> = Vec::new();
    let mut errors = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        if row.is_blank() {
            continue;
        }
        match parse_row(row) {
            Ok(f) if fields.iter().any(|g| g.name == f.name) => {
                errors.insert(i, format!("Another field is already named {}.", f.name));
            }
            Ok(f) => fields.push(f),
            Err(e) => {
                errors.insert(i, e);
            }
        }
    }
    if fields.len() > MAX_FIELDS && errors.is_empty() {
        errors.insert(rows.len() - 1, format!("Use at most {MAX_FIELDS} fields."));
    }
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(errors)
    }
}

impl RequestField {
    /// Checks what a consumer sent for this field (`None` when absent) and
    /// returns the value to store.
    pub fn check(&self, raw: Option<&str>) -> Result<String, String> {
        let value = raw.map(str::trim).unwrap_or("");
        if self.kind == FieldKind::Checkbox {
            let ticked = !value.is_empty();
            if self.required && !ticked {
                return Err(format!("Tick “{}” to continue.", self.label));
            }
            return Ok(if ticked { "yes" } else { "no" }.to_owned());
        }
        if value.is_empty() {
            return if self.required {
                Err(format!("{} is required.", self.label))
            } else {
                Ok(String::new())
            };
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(format!("Use at most {MAX_VALUE_CHARS} characters."));
        }
        match self.kind {
            FieldKind::Number => match value.parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(value.to_owned()),
                _ => Err("Give a number.".to_owned()),
            },
            FieldKind::Select if !self.options.iter().any(|o| o == value) => {
                Err("Choose one of the listed options.".to_owned())
            }
            FieldKind::Text => match &self.pattern {
                Some(p) if !compile(p).is_ok_and(|re| re.is_match(value)) => {
                    Err(format!("{} does not have the expected format.", self.label))
                }
                _ => Ok(value.to_owned()),
            },
            _ => Ok(value.to_owned()),
        }
    }
}

/// Checks a whole request against the schema: values by field name, or errors by field name.
pub fn check_values(
    fields: &[RequestField],
    sent: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for f in fields {
        match f.check(sent.get(&f.name).map(String::as_str)) {
            Ok(v) => {
                values.insert(f.name.clone(), v);
            }
            Err(e) => {
                errors.insert(f.name.clone(), e);
            }
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, kind: &str) -> FieldRow {
        FieldRow {
            name: name.into(),
            label: format!("The {name}"),
            kind: kind.into(),
            ..FieldRow::default()
        }
    }

    #[test]
    fn rows_become_a_schema_and_blank_rows_are_dropped() {
        let mut select = row("region", "select");
        select.options = "eu\nus, eu\n".into();
        let mut text = row("ticket", "text");
        text.pattern = "[A-Z]+-[0-9]+".into();
        text.required = true;
        let fields = parse_rows(&[select, FieldRow::default(), text]).unwrap();
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[0].options, ["eu", "us"]);
        assert_eq!(fields[1].pattern.as_deref(), Some("[A-Z]+-[0-9]+"));
    }

    #[test]
    fn bad_rows_are_reported_by_index() {
        let mut bad_pattern = row("ticket", "text");
        bad_pattern.pattern = "([".into();
        let mut options_on_text = row("note", "text");
        options_on_text.options = "a".into();
        let errors = parse_rows(&[
            row("9lives", "text"),
            row("ok", "select"),
            bad_pattern,
            row("dup", "number"),
            row("dup", "number"),
            options_on_text,
            row("x", "date"),
        ])
        .unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            [0, 1, 2, 4, 5, 6]
        );
    }

    #[test]
    fn values_are_checked_by_type() {
        let mut ticket = row("ticket", "text");
        ticket.pattern = "[A-Z]+-[0-9]+".into();
        ticket.required = true;
        let mut region = row("region", "select");
        region.options = "eu,us".into();
        let mut agree = row("agree", "checkbox");
        agree.required = true;
        let fields = parse_rows(&[ticket, row("calls", "number"), region, agree]).unwrap();

        let sent = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let ok = check_values(
            &fields,
            &sent(&[
                ("ticket", "OPS-12"),
                ("calls", "3.5"),
                ("region", "eu"),
                ("agree", "on"),
            ]),
        )
        .unwrap();
        assert_eq!(ok["agree"], "yes");
        assert_eq!(ok["calls"], "3.5");

        let errors = check_values(
            &fields,
            &sent(&[("ticket", "ops-12x"), ("calls", "many"), ("region", "mars")]),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 4);
        assert!(errors["ticket"].contains("expected format"));

        let missing = check_values(&fields, &sent(&[("agree", "on")])).unwrap_err();
        assert_eq!(missing.keys().collect::<Vec<_>>(), ["ticket"]);
    }
}
