//! Reading literal values out of pest pairs: numbers with units, instants,
//! times of day and strings. Each returns the decoded value or the reason it
//! cannot be read; the builder turns reasons into `bad_literal` diagnostics.

use crate::ast::{Quantity, Unit};

/// Reads a number, rejecting ones too large to represent.
pub fn number(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("`{text}` is too large"))
    }
}

fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || ((c == 'e' || c == 'E')
                    && text[i + 1..]
                        .starts_with(|d: char| d.is_ascii_digit() || d == '-' || d == '+'))
                || ((c == '-' || c == '+') && i > 0 && matches!(&text[i - 1..i], "e" | "E")))
        })
        .map_or(text.len(), |(i, _)| i);
    text.split_at(end)
}

fn duration_unit_secs(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1e-9,
        "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        _ => return None,
    })
}

/// Reads `1h30m` into seconds.
pub fn duration(text: &str) -> Result<f64, String> {
    let mut rest = text;
    let mut total = 0.0;
    while !rest.is_empty() {
        let (num, after) = split_number(rest);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let secs = duration_unit_secs(unit).ok_or_else(|| format!("unknown unit `{unit}`"))?;
        total += number(num)? * secs;
        rest = next;
    }
    if total.is_finite() {
        Ok(total)
    } else {
        Err(format!("`{text}` is too long"))
    }
}

/// Reads `200/s` into events per second.
pub fn rate(text: &str) -> Result<f64, String> {
    let (num, unit) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not a rate"))?;
    let per = duration_unit_secs(unit).ok_or_else(|| format!("unknown unit `/{unit}`"))?;
    finite(text, number(num)? / per)
}

/// Reads `512KiB` into bytes.
pub fn size(text: &str) -> Result<f64, String> {
    let (num, unit) = split_number(text);
    let factor = match unit {
        "B" => 1.0,
        "KB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown unit `{unit}`")),
    };
    finite(text, number(num)? * factor)
}

/// `v`, unless its unit made it too large to represent.
fn finite(text: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("`{text}` is too large"))
    }
}

/// Reads the unit-bearing part of a quantity (the sign is applied by the caller).
pub fn quantity(unit: Unit, text: &str) -> Result<Quantity, String> {
    let value = match unit {
        Unit::Duration => duration(text)?,
        Unit::Rate => rate(text)?,
        Unit::Size => size(text)?,
        Unit::Percent => number(text.trim_end_matches('%'))?,
        Unit::Multiplier => number(text.trim_start_matches('x'))?,
        Unit::Number => number(text)?,
    };
    // Every reader above refuses a value its unit makes infinite
    // (`1e300GiB`), so `value` is finite here.
    Ok(Quantity {
        unit,
        value,
        signed: false,
    })
}

/// Reads `09:30` or `09:30:15` into seconds since midnight; `24:00` is allowed
/// as the end of a day.
pub fn time_of_day(text: &str) -> Result<u32, String> {
    let mut parts = text.split(':').map(|p| {
        p.parse::<u32>()
            .map_err(|_| format!("`{p}` is not a number"))
    });
    let h = parts.next().unwrap_or(Ok(0))?;
    let m = parts.next().unwrap_or(Ok(0))?;
    let s = parts.next().unwrap_or(Ok(0))?;
    if m >= 60 || s >= 60 {
        return Err(format!("`{text}` has minutes or seconds past 59"));
    }
    if h > 24 || (h == 24 && (m, s) != (0, 0)) {
        return Err(format!("`{text}` is past the end of the day"));
    }
    Ok(h * 3600 + m * 60 + s)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads an RFC 3339 instant into Unix seconds and nanoseconds.
pub fn instant(text: &str) -> Result<(i64, u32), String> {
    let num = |range: std::ops::Range<usize>| -> Result<i64, String> {
        text.get(range)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("`{text}` is not an RFC 3339 instant"))
    };
    let (y, mo, d, h, mi, s) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err(format!("`{}` is not a calendar date", &text[..10]));
    }
    if h > 23 || mi > 59 || s > 59 {
        return Err(format!("`{}` is not a time of day", &text[11..19]));
    }
    let mut rest = &text[19..];
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
        rest = &frac[digits.len()..];
        let padded: String = digits
            .chars()
            .chain(std::iter::repeat('0'))
            .take(9)
            .collect();
        nanos = padded
            .parse()
            .map_err(|_| format!("`{text}` has a bad fraction"))?;
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let oh: i64 = rest.get(1..3).and_then(|s| s.parse().ok()).unwrap_or(99);
            let om: i64 = rest.get(4..6).and_then(|s| s.parse().ok()).unwrap_or(99);
            if oh > 23 || om > 59 {
                return Err(format!("`{rest}` is not a UTC offset"));
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset;
    Ok((secs, nanos))
}

/// Decodes the escapes of a string's inner text.
pub fn unescape(inner: &str) -> Result<String, String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => {
                return Err(format!(
                    "unknown escape `\\{other}`; the escapes are \\\" \\\\ \\n \\t"
                ))
            }
            None => return Err("the string ends with a lone `\\`".into()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units() {
        assert_eq!(duration("1h30m"), Ok(5400.0));
        assert_eq!(duration("250ms"), Ok(0.25));
        assert_eq!(rate("120/m"), Ok(2.0));
        assert_eq!(size("2KiB"), Ok(2048.0));
        assert_eq!(time_of_day("09:30"), Ok(34_200));
        assert!(time_of_day("25:00").is_err());
        // Finite numbers whose unit overflows them are refused, not infinite.
        assert!(size("1e300GiB").unwrap_err().contains("too large"));
        assert!(rate("1e300/ns").unwrap_err().contains("too large"));
    }

    #[test]
    fn reads_instants_with_offsets() {
        assert_eq!(instant("1970-01-01T00:00:00Z"), Ok((0, 0)));
        assert_eq!(instant("2026-01-05T09:00:00Z"), Ok((1_767_603_600, 0)));
        assert_eq!(
            instant("2026-01-05T10:00:00.5+01:00"),
            Ok((1_767_603_600, 500_000_000))
        );
        assert!(instant("2026-02-30T00:00:00Z").is_err());
    }

    #[test]
    fn decodes_escapes() {
        assert_eq!(unescape(r#"a\"b\n"#).as_deref(), Ok("a\"b\n"));
        assert!(unescape(r"\q").is_err());
    }
}
