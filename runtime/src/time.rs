//! Calendar arithmetic the runtime needs without a time-zone database:
//! Unix time to RFC 3339 UTC text.

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `2026-01-05T14:00:00Z`, with a fraction only when `nanos` is not zero.
pub fn rfc3339(secs: i64, nanos: u32) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let mut out = format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_621_600, 0), "2026-01-05T14:00:00Z");
        assert_eq!(rfc3339(951_782_400, 500_000_000), "2000-02-29T00:00:00.5Z");
        assert_eq!(rfc3339(-1, 0), "1969-12-31T23:59:59Z");
    }
}

/// Formats nanoseconds as `1d2h3m4s`, or `250ms` under a second, `0s` for zero.
pub fn format_duration(ns: u64) -> String {
    let mut rest = ns / 1_000_000_000;
    if rest == 0 {
        return if ns == 0 {
            "0s".into()
        } else {
            format!("{}ms", ns / 1_000_000)
        };
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Reads a duration such as `35d`, `1h30m`, `90s`, `250ms` into nanoseconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a duration (try `90s`, `10m`, `1h30m` or `35d`)");
    let mut total: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    if rest == "0" {
        // Zero needs no unit (`--duration 0`, `--stats-every 0`).
        return Ok(0);
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale: u64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "w" => 604_800_000_000_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total = n
            .checked_mul(scale)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| {
                format!("`{text}` is longer than 64-bit nanoseconds hold (about 584 years)")
            })?;
    }
    Ok(total)
}

/// Reads a start instant: RFC 3339, `now`, or `now-35d` / `now+1h`, into
/// Unix nanoseconds; `now_ns` is the current time.
pub fn parse_start(text: &str, now_ns: i64) -> Result<i64, String> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix("now") {
        if rest.is_empty() {
            return Ok(now_ns);
        }
        let (sign, d) = if let Some(d) = rest.strip_prefix('-') {
            (-1i64, d)
        } else if let Some(d) = rest.strip_prefix('+') {
            (1i64, d)
        } else {
            return Err(format!("`{t}`: write `now`, `now-35d` or `now+1h`"));
        };
        let ns = i64::try_from(parse_duration(d)?).map_err(|_| format!("`{t}` is too far away"))?;
        return now_ns
            .checked_add(sign * ns)
            .ok_or_else(|| format!("`{t}` is too far away"));
    }
    let ts: jiff::Timestamp = t
        .parse()
        .map_err(|e| format!("`{t}` is not an RFC 3339 instant: {e}"))?;
    i64::try_from(ts.as_nanosecond()).map_err(|_| format!("`{t}` is out of range"))
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn reads_starts_and_durations() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert!(parse_duration("5 minutes").is_err());
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("5").is_err());
        let now = 1_767_621_600_000_000_000;
        assert_eq!(parse_start("now", now), Ok(now));
        // A multibyte character after `now` is an error, not a panic.
        assert!(parse_start("nowé", now).unwrap_err().contains("now-35d"));
        assert_eq!(parse_start("now-1d", now), Ok(now - 86_400_000_000_000));
        assert_eq!(parse_start("2026-01-05T14:00:00Z", 0), Ok(now));
        assert!(parse_start("yesterday", now).is_err());
    }
}
