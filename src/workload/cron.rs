//! Cron schedules as the CronJob controller reads them: the standard five-field syntax of
//! robfig/cron v3 (`cron.ParseStandard`, which upstream Kubernetes uses) and its `Next`
//! algorithm, evaluated in an IANA time zone.
//!
//! Fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or JAN-DEC), day of
//! week (0-6 or SUN-SAT). Each is a comma-separated list of `*` or `?`, `N`, `A-B`, with an
//! optional `/step` (`N/step` means `N-max/step`). Descriptors: `@yearly` (`@annually`),
//! `@monthly`, `@weekly`, `@daily` (`@midnight`), `@hourly`. Day of month and day of week:
//! when either field starts with `*` or `?` (and has no step > 1) both must match, otherwise
//! either may match (the classic cron OR rule, robfig's `dayMatches`).
//!
//! Time zones follow Go's `time` package as robfig uses it: hours and minutes advance in
//! absolute time (so on a spring-forward day the skipped wall-clock hour never matches, and on
//! a fall-back day a repeated hour matches twice), days and months advance in wall-clock time,
//! and a wall-clock time is turned into an instant as Go's `time.Date` does (an offset lookup
//! at the wall time read as UTC, corrected once).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

/// Set when a field is `*` or `?` (robfig's `starBit`).
const STAR: u64 = 1 << 63;

/// A parsed schedule: one bit set per allowed value of each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
}

/// Field bounds and names.
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
    what: &'static str,
}

const MINUTE: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
    what: "minute",
};
const HOUR: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
    what: "hour",
};
const DOM: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
    what: "day of month",
};
const MONTH: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
    what: "month",
};
const DOW: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    what: "day of week",
};

fn value(text: &str, b: &Bounds) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = b.names.iter().position(|&n| n == lower) {
        // Month names count from 1, weekday names from 0.
        return Ok(i as u32 + b.min);
    }
    text.parse::<u32>()
        .map_err(|_| format!("invalid {} value {text:?}", b.what))
}

/// One comma-separated element of a field (robfig's `getRange`).
fn range(expr: &str, b: &Bounds) -> Result<u64, String> {
    let mut range_and_step = expr.split('/');
    let range_part = range_and_step.next().unwrap_or("");
    let step_part = range_and_step.next();
    if range_and_step.next().is_some() {
        return Err(format!("too many slashes in {expr:?}"));
    }
    let low_high: Vec<&str> = range_part.split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end, mut extra) = if low_high[0] == "*" || low_high[0] == "?" {
        if !single {
            return Err(format!("invalid range {expr:?}"));
        }
        (b.min, b.max, STAR)
    } else {
        let start = value(low_high[0], b)?;
        let end = match low_high.len() {
            1 => start,
            2 => value(low_high[1], b)?,
            _ => return Err(format!("too many hyphens in {expr:?}")),
        };
        (start, end, 0)
    };
    let step = match step_part {
        None => 1,
        Some(s) => {
            let step = s
                .parse::<u32>()
                .map_err(|_| format!("invalid step {s:?} in {expr:?}"))?;
            if single {
                end = b.max;
            }
            if step > 1 {
                extra = 0;
            }
            step
        }
    };
    if start < b.min {
        return Err(format!(
            "{expr:?}: {} {start} is below the minimum {}",
            b.what, b.min
        ));
    }
    if end > b.max {
        return Err(format!(
            "{expr:?}: {} {end} is above the maximum {}",
            b.what, b.max
        ));
    }
    if start > end {
        return Err(format!("{expr:?}: the range starts after it ends"));
    }
    if step == 0 {
        return Err(format!("{expr:?}: the step must be at least 1"));
    }
    let mut bits = 0u64;
    let mut v = start;
    while v <= end {
        bits |= 1 << v;
        v += step;
    }
    Ok(bits | extra)
}

fn field(text: &str, b: &Bounds) -> Result<u64, String> {
    let mut bits = 0;
    for part in text.split(',') {
        bits |= range(part, b)?;
    }
    Ok(bits)
}

impl Schedule {
    /// Parses a five-field cron expression or a descriptor; the error says what is wrong.
    pub fn parse(spec: &str) -> Result<Schedule, String> {
        let spec = spec.trim();
        if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
            return Err("a time zone in the schedule is not supported; use timeZone".to_owned());
        }
        let expanded = match spec {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            s if s.starts_with('@') => {
                return Err(format!(
                    "unknown descriptor {s:?}; expected @yearly, @annually, @monthly, @weekly, \
                     @daily, @midnight or @hourly"
                ));
            }
            s => s,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
                fields.len()
            ));
        }
        Ok(Schedule {
            minute: field(fields[0], &MINUTE)?,
            hour: field(fields[1], &HOUR)?,
            dom: field(fields[2], &DOM)?,
            month: field(fields[3], &MONTH)?,
            dow: field(fields[4], &DOW)?,
        })
    }

    fn day_matches(&self, t: &NaiveDateTime) -> bool {
        let dom = self.dom & (1 << t.day()) != 0;
        let dow = self.dow & (1 << t.weekday().num_days_from_sunday()) != 0;
        if self.dom & STAR != 0 || self.dow & STAR != 0 {
            dom && dow
        } else {
            dom || dow
        }
    }

    /// The first scheduled instant strictly after `after` [unix seconds] in `tz` (whole
    /// minutes), or `None` if there is none within five years (robfig's `Next`).
    pub fn next_after(&self, after: i64, tz: Tz) -> Option<i64> {
        let mut t = after + 1;
        let mut added = false;
        let year_limit = local(t, tz)?.year() + 5;
        'wrap: loop {
            let mut l = local(t, tz)?;
            if l.year() > year_limit {
                return None;
            }
            while self.month & (1 << l.month()) == 0 {
                if !added {
                    added = true;
                    t = date(l.year(), l.month(), 1, 0, 0, tz)?;
                    l = local(t, tz)?;
                }
                let (y, m) = if l.month() == 12 {
                    (l.year() + 1, 1)
                } else {
                    (l.year(), l.month() + 1)
                };
                t = date(y, m, l.day(), l.hour(), l.minute(), tz)?;
                l = local(t, tz)?;
                if l.month() == 1 {
                    continue 'wrap;
                }
            }
            while !self.day_matches(&l) {
                if !added {
                    added = true;
                    t = date(l.year(), l.month(), l.day(), 0, 0, tz)?;
                    l = local(t, tz)?;
                }
                let next = l.date().succ_opt()?;
                t = date(
                    next.year(),
                    next.month(),
                    next.day(),
                    l.hour(),
                    l.minute(),
                    tz,
                )?;
                l = local(t, tz)?;
                // Midnight moved by a DST change: back to midnight.
                if l.hour() != 0 {
                    let h = i64::from(l.hour());
                    t += if h > 12 { (24 - h) * 3600 } else { -h * 3600 };
                    l = local(t, tz)?;
                }
                if l.day() == 1 {
                    continue 'wrap;
                }
            }
            while self.hour & (1 << l.hour()) == 0 {
                if !added {
                    added = true;
                    t = date(l.year(), l.month(), l.day(), l.hour(), 0, tz)?;
                }
                t += 3600;
                l = local(t, tz)?;
                if l.hour() == 0 {
                    continue 'wrap;
                }
            }
            while self.minute & (1 << l.minute()) == 0 {
                if !added {
                    added = true;
                    t -= t.rem_euclid(60);
                }
                t += 60;
                l = local(t, tz)?;
                if l.minute() == 0 {
                    continue 'wrap;
                }
            }
            // The seconds field of a standard schedule is 0.
            if t.rem_euclid(60) != 0 {
                if !added {
                    added = true;
                }
                t += 60 - t.rem_euclid(60);
                continue 'wrap;
            }
            return Some(t);
        }
    }
}

/// The wall-clock time of instant `t` [unix seconds] in `tz`.
fn local(t: i64, tz: Tz) -> Option<NaiveDateTime> {
    Some(
        DateTime::from_timestamp(t, 0)?
            .with_timezone(&tz)
            .naive_local(),
    )
}

/// The UTC offset of `tz` at instant `t` [s].
fn offset_at(t: i64, tz: Tz) -> Option<i64> {
    let utc = DateTime::from_timestamp(t, 0)?.naive_utc();
    Some(i64::from(
        tz.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
    ))
}

/// The instant [unix seconds] of a wall-clock time in `tz`, as Go's `time.Date` picks it
/// inside DST gaps and overlaps: the offset in force at the wall time read as UTC, or, if
/// that offset does not hold at the instant it gives, the offset at that instant.
fn date(y: i32, m: u32, d: u32, h: u32, min: u32, tz: Tz) -> Option<i64> {
    let naive = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(h, min, 0)?;
    let unix = naive.and_utc().timestamp();
    let mut offset = offset_at(unix, tz)?;
    let utc = unix - offset;
    let there = offset_at(utc, tz)?;
    if there != offset {
        offset = there;
    }
    Some(unix - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix seconds of a UTC wall time.
    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
            .and_utc()
            .timestamp()
    }

    fn runs(spec: &str, from: i64, tz: Tz, n: usize) -> Vec<String> {
        let s = Schedule::parse(spec).unwrap();
        let mut t = from;
        let mut out = Vec::new();
        for _ in 0..n {
            t = s.next_after(t, tz).unwrap();
            let l = DateTime::from_timestamp(t, 0).unwrap().with_timezone(&tz);
            out.push(l.format("%Y-%m-%d %H:%M %Z").to_string());
        }
        out
    }

    #[test]
    fn business_hours_every_quarter_across_the_spring_dst_change() {
        // New York springs forward on Sunday 2026-03-08 (02:00 EST -> 03:00 EDT). From Friday
        // 17:30 EST: the Friday runs ended at 17:45, nothing on the weekend, Monday from 09:00,
        // now in EDT (13:00 UTC instead of 14:00).
        let tz: Tz = "America/New_York".parse().unwrap();
        let from = utc(2026, 3, 6, 22, 30); // 17:30 EST
        let r = runs("*/15 9-17 * * 1-5", from, tz, 3);
        assert_eq!(
            r,
            [
                "2026-03-06 17:45 EST",
                "2026-03-09 09:00 EDT",
                "2026-03-09 09:15 EDT"
            ]
        );
        let s = Schedule::parse("*/15 9-17 * * 1-5").unwrap();
        assert_eq!(s.next_after(from, tz), Some(utc(2026, 3, 6, 22, 45)));
        assert_eq!(
            s.next_after(utc(2026, 3, 6, 22, 45), tz),
            Some(utc(2026, 3, 9, 13, 0))
        );
    }

    #[test]
    fn the_skipped_hour_never_runs_and_the_repeated_hour_runs_twice() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 02:30 does not exist on 2026-03-08 (hours step 01:00 EST -> 03:00 EDT).
        let r = runs("30 2 * * *", utc(2026, 3, 7, 17, 0), tz, 2);
        assert_eq!(r, ["2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT"]);
        // 01:30 happens twice on 2026-11-01 (02:00 EDT -> 01:00 EST): robfig runs both.
        let r = runs("30 1 * * *", utc(2026, 10, 31, 16, 0), tz, 3);
        assert_eq!(
            r,
            [
                "2026-11-01 01:30 EDT",
                "2026-11-01 01:30 EST",
                "2026-11-02 01:30 EST"
            ]
        );
        // A wall-clock midnight in Berlin, in UTC+1 and then UTC+2 (2026-03-29).
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let s = Schedule::parse("0 0 * * *").unwrap();
        assert_eq!(
            s.next_after(utc(2026, 3, 28, 12, 0), tz),
            Some(utc(2026, 3, 28, 23, 0))
        );
        assert_eq!(
            s.next_after(utc(2026, 3, 28, 23, 0), tz),
            Some(utc(2026, 3, 29, 22, 0))
        );
    }

    #[test]
    fn day_31_runs_only_in_long_months_and_dom_dow_follow_the_or_rule() {
        let tz = Tz::UTC;
        let r = runs("0 0 31 * *", utc(2026, 1, 31, 0, 0), tz, 3);
        assert_eq!(
            r,
            [
                "2026-03-31 00:00 UTC",
                "2026-05-31 00:00 UTC",
                "2026-07-31 00:00 UTC"
            ]
        );
        // Day 13 OR Friday (both restricted): Fri 2026-02-06, Fri 02-13 (both), Fri 02-20.
        let r = runs("0 12 13 * 5", utc(2026, 2, 1, 0, 0), tz, 4);
        assert_eq!(
            r,
            [
                "2026-02-06 12:00 UTC",
                "2026-02-13 12:00 UTC",
                "2026-02-20 12:00 UTC",
                "2026-02-27 12:00 UTC"
            ]
        );
        // `*` in day of month: AND, so only Fridays. `*/2` in day of month is not a star.
        let r = runs("0 0 * * FRI", utc(2026, 2, 1, 0, 0), tz, 1);
        assert_eq!(r, ["2026-02-06 00:00 UTC"]);
        let r = runs("0 0 */10 * sun", utc(2026, 2, 1, 0, 0), tz, 3);
        // Days 1, 11, 21 or Sundays (1 Feb is a Sunday, and the run is strictly after 00:00).
        assert_eq!(
            r,
            [
                "2026-02-08 00:00 UTC",
                "2026-02-11 00:00 UTC",
                "2026-02-15 00:00 UTC"
            ]
        );
    }

    #[test]
    fn descriptors_lists_names_and_steps() {
        let tz = Tz::UTC;
        let from = utc(2026, 5, 17, 10, 7);
        assert_eq!(runs("@hourly", from, tz, 1), ["2026-05-17 11:00 UTC"]);
        assert_eq!(runs("@daily", from, tz, 1), ["2026-05-18 00:00 UTC"]);
        assert_eq!(runs("@weekly", from, tz, 1), ["2026-05-24 00:00 UTC"]); // Sunday
        assert_eq!(runs("@monthly", from, tz, 1), ["2026-06-01 00:00 UTC"]);
        assert_eq!(runs("@yearly", from, tz, 1), ["2027-01-01 00:00 UTC"]);
        assert_eq!(
            runs("5,35 */6 * jan-MAR,may ?", from, tz, 3),
            [
                "2026-05-17 12:05 UTC",
                "2026-05-17 12:35 UTC",
                "2026-05-17 18:05 UTC"
            ]
        );
        // `N/step` is `N-max/step`.
        assert_eq!(
            runs("50/5 10 * * *", from, tz, 3),
            [
                "2026-05-17 10:50 UTC",
                "2026-05-17 10:55 UTC",
                "2026-05-18 10:50 UTC"
            ]
        );
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        for (spec, needle) in [
            ("* * * *", "expected 5 fields"),
            ("60 * * * *", "above the maximum 59"),
            ("* * 0 * *", "below the minimum 1"),
            ("* * * * 7", "above the maximum 6"),
            ("5-1 * * * *", "starts after it ends"),
            ("*/0 * * * *", "at least 1"),
            ("* * * foo *", "invalid month"),
            ("@every 5m", "unknown descriptor"),
            ("TZ=UTC * * * * *", "use timeZone"),
        ] {
            let e = Schedule::parse(spec).unwrap_err();
            assert!(e.contains(needle), "{spec}: {e}");
        }
        // Feb 30 never comes: no run within five years.
        let s = Schedule::parse("0 0 30 2 *").unwrap();
        assert_eq!(s.next_after(0, Tz::UTC), None);
    }
}
