//! Dates as staff write them: local wall-clock time in the instance's time zone, or
//! RFC 3339 with an explicit offset.
//!
//! A local time that does not exist (the hour skipped when clocks go forward) or that
//! happens twice (the hour repeated when they go back) is refused with a message that
//! says which and how to write it unambiguously: guessing would publish an hour early or
//! late, and nobody would notice until it was public.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};

/// Parses `2026-03-29 10:00`, `2026-03-29T10:00(:SS)`, or RFC 3339 with offset or `Z`.
pub fn parse_time(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let text = text.trim();
    if has_offset(text) {
        return text.parse::<Timestamp>().map_err(|_| bad_format(text));
    }
    let civil: DateTime = text
        .replacen(' ', "T", 1)
        .parse()
        .map_err(|_| bad_format(text))?;
    let zone = tz.iana_name().unwrap_or("the configured time zone");
    match tz.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset
            .to_timestamp(civil)
            .map_err(|e| format!("`{text}` is out of range: {e}")),
        AmbiguousOffset::Gap { before, after } => Err(format!(
            "`{text}` does not exist in {zone}: the clocks jump from {before} to {after} \
             that night; pick another time"
        )),
        AmbiguousOffset::Fold { before, after } => Err(format!(
            "`{text}` happens twice in {zone} (clocks go back from {before} to {after}); \
             write it with the offset you mean, e.g. `{}{before}` or `{}{after}`",
            civil.strftime("%Y-%m-%dT%H:%M:%S"),
            civil.strftime("%Y-%m-%dT%H:%M:%S"),
        )),
    }
}

fn has_offset(text: &str) -> bool {
    // The offset comes after the time part: a trailing `Z`, or `+`/`-` after the `T`/space.
    let Some(time_start) = text.find(['T', 't', ' ']) else {
        return false;
    };
    let time = &text[time_start..];
    time.ends_with(['Z', 'z']) || time.contains(['+', '-'])
}

fn bad_format(text: &str) -> String {
    format!(
        "`{text}` is not a date and time Herald understands; write local time as \
         `2026-06-30 10:00` or a full time with offset as `2026-06-30T10:00:00+03:00`"
    )
}

/// RFC 3339 with the offset that applies in `tz` at that instant, e.g.
/// `2026-06-30T10:00:00+03:00`: the form used in JSON output.
pub fn rfc3339_in(ts: Timestamp, tz: &TimeZone) -> String {
    let zoned: ZonedDateTime = ts.to_zoned_datetime(tz.clone());
    zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// A short local form for people, e.g. `2026-06-30 10:00 (+03:00)`.
pub fn human_in(ts: Timestamp, tz: &TimeZone) -> String {
    let zoned: ZonedDateTime = ts.to_zoned_datetime(tz.clone());
    zoned.strftime("%Y-%m-%d %H:%M (%:z)").to_string()
}

/// A long local form for people who do not read offsets, e.g.
/// `Tuesday 30 June 2026, 10:00 (Europe/Tallinn)`: the zone by its name when it has one,
/// else by its offset.
pub fn long_in(ts: Timestamp, tz: &TimeZone) -> String {
    let zoned: ZonedDateTime = ts.to_zoned_datetime(tz.clone());
    let zone = match tz.iana_name() {
        Some(name) => name.to_owned(),
        None => zoned.strftime("%:z").to_string(),
    };
    format!("{} ({zone})", zoned.strftime("%A %-d %B %Y, %H:%M"))
}

/// A duration in words for messages: "24 hours", or "90 minutes".
pub fn friendly_duration(d: jiff::SignedDuration) -> String {
    let hours = d.as_secs() / 3600;
    if hours * 3600 == d.as_secs() {
        format!("{hours} hours")
    } else {
        format!("{} minutes", d.as_secs() / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tallinn() -> TimeZone {
        TimeZone::get("Europe/Tallinn").unwrap()
    }

    #[test]
    fn local_time_takes_the_offset_in_force_that_day() {
        let tz = tallinn();
        let winter = parse_time("2026-01-15 10:00", &tz).unwrap();
        let summer = parse_time("2026-07-15 10:00", &tz).unwrap();
        assert_eq!(winter.to_string(), "2026-01-15T08:00:00Z");
        assert_eq!(summer.to_string(), "2026-07-15T07:00:00Z");
        assert_eq!(rfc3339_in(summer, &tz), "2026-07-15T10:00:00+03:00");
    }

    #[test]
    fn the_long_form_names_the_day_and_the_zone() {
        let tz = tallinn();
        let t = parse_time("2026-06-02 10:00", &tz).unwrap();
        assert_eq!(
            long_in(t, &tz),
            "Tuesday 2 June 2026, 10:00 (Europe/Tallinn)"
        );
        let fixed = TimeZone::fixed(jiff::tz::offset(2));
        assert_eq!(long_in(t, &fixed), "Tuesday 2 June 2026, 09:00 (+02:00)");
    }

    #[test]
    fn skipped_and_repeated_hours_are_refused() {
        let tz = tallinn();
        let gap = parse_time("2026-03-29 03:30", &tz).unwrap_err();
        assert!(gap.contains("does not exist"), "{gap}");
        let fold = parse_time("2026-10-25 03:30", &tz).unwrap_err();
        assert!(fold.contains("happens twice"), "{fold}");
        assert!(fold.contains("2026-10-25T03:30:00+03"), "{fold}");
    }

    #[test]
    fn explicit_offsets_are_taken_as_written() {
        let tz = tallinn();
        let t = parse_time("2026-10-25T03:30:00+02:00", &tz).unwrap();
        assert_eq!(t.to_string(), "2026-10-25T01:30:00Z");
        assert_eq!(
            parse_time("2026-10-25T01:30:00Z", &tz).unwrap(),
            parse_time("2026-10-25T03:30:00+02:00", &tz).unwrap()
        );
    }

    #[test]
    fn nonsense_is_refused_with_the_expected_forms() {
        let err = parse_time("next tuesday", &tallinn()).unwrap_err();
        assert!(err.contains("2026-06-30 10:00"), "{err}");
        assert!(parse_time("2026-02-30 10:00", &tallinn()).is_err());
    }
}
