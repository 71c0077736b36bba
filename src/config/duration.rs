//! Human durations in configuration: "90s", "30m", "12h", "3d", "1h30m", "0".

use std::time::Duration;

const UNITS: [(char, u64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let Some(&(_, secs)) = UNITS.iter().find(|(u, _)| *u == c) else {
            return Err(format!("'{c}' is not a unit (use s, m, h or d)"));
        };
        if digits.is_empty() {
            return Err(format!("a number must come before '{c}'"));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| "the number is too large".to_owned())?;
        total = n
            .checked_mul(secs)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| "the duration is too long".to_owned())?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("'{digits}' needs a unit (s, m, h or d)"));
    }
    Ok(Duration::from_secs(total))
}

/// The shortest exact form: 3d, 1h30m, 90s → "1m30s", 0 → "0".
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0".to_owned();
    }
    let mut out = String::new();
    for (unit, size) in UNITS {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse_duration("3d"), Ok(Duration::from_secs(3 * 86_400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3_600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for bad in ["", "3", "d", "3x", "3 days", "-1s", "99999999999999999999s"] {
            assert!(parse_duration(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn formatting_round_trips() {
        for text in ["3d", "1h30m", "1m30s", "0", "2d3h4m5s"] {
            let d = parse_duration(text).unwrap();
            assert_eq!(format_duration(d), text);
        }
    }
}
