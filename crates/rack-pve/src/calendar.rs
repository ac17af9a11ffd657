//! The part of systemd calendar events that backup schedules use (`02:00`, `sun 03:00`,
//! `mon..fri 22:30`, `*-*-01 04:00`, `daily`, `weekly`, `monthly`, `*:0/15`), evaluated in UTC,
//! and the civil-date arithmetic that needs.

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    weekdays: Option<Vec<u32>>, // 0 = Monday
    day_of_month: Option<u32>,
    hours: Vec<u32>,
    minutes: Vec<u32>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Schedule {
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        let text = match text.as_str() {
            "hourly" => "*:00".to_string(),
            "daily" => "00:00".to_string(),
            "weekly" => "mon 00:00".to_string(),
            "monthly" => "*-*-01 00:00".to_string(),
            _ => text,
        };
        let mut weekdays = None;
        let mut day_of_month = None;
        let mut time = None;
        for part in text.split_whitespace() {
            if part.contains(':') {
                time = Some(part.to_string());
            } else if let Some(day) = part.strip_prefix("*-*-") {
                day_of_month = Some(day.parse().ok().filter(|d| (1..=31).contains(d))?);
            } else {
                weekdays = Some(parse_weekdays(part)?);
            }
        }
        let time = time.unwrap_or_else(|| "00:00".to_string());
        let (h, m) = time.split_once(':')?;
        Some(Self {
            weekdays,
            day_of_month,
            hours: parse_list(h, 24)?,
            minutes: parse_list(m, 60)?,
        })
    }

    /// The first time strictly after `t` (epoch seconds) that the schedule fires.
    pub fn next_after(&self, t: f64) -> f64 {
        let t = t.floor() as i64;
        let first_day = t.div_euclid(86_400);
        for day in first_day..first_day + 400 {
            if !self.day_matches(day) {
                continue;
            }
            for &h in &self.hours {
                for &m in &self.minutes {
                    let at = day * 86_400 + i64::from(h) * 3600 + i64::from(m) * 60;
                    if at > t {
                        return at as f64;
                    }
                }
            }
        }
        // A day-of-month like 31 matches within any 400 days; this is never reached.
        (t + 86_400) as f64
    }

    /// Every firing in (from, to].
    pub fn between(&self, from: f64, to: f64) -> Vec<f64> {
        let mut out = Vec::new();
        let mut t = from;
        loop {
            let next = self.next_after(t);
            if next > to {
                return out;
            }
            out.push(next);
            t = next;
        }
    }

    fn day_matches(&self, day: i64) -> bool {
        let weekday = (day + 3).rem_euclid(7) as u32; // 1970-01-01 was a Thursday
        let (_, _, dom) = civil_from_days(day);
        self.weekdays.as_ref().is_none_or(|w| w.contains(&weekday))
            && self.day_of_month.is_none_or(|d| d == dom)
    }
}

fn parse_weekdays(text: &str) -> Option<Vec<u32>> {
    let index = |d: &str| DAYS.iter().position(|x| d.starts_with(x)).map(|i| i as u32);
    let mut out = Vec::new();
    for item in text.split(',') {
        if let Some((a, b)) = item.split_once("..") {
            let (a, b) = (index(a)?, index(b)?);
            out.extend(a..=b);
        } else {
            out.push(index(item)?);
        }
    }
    Some(out)
}

fn parse_list(text: &str, limit: u32) -> Option<Vec<u32>> {
    if text == "*" {
        return Some((0..limit).collect());
    }
    let mut out = Vec::new();
    for item in text.split(',') {
        if let Some((start, step)) = item.split_once('/') {
            let start: u32 = if start == "*" { 0 } else { start.parse().ok()? };
            let step: u32 = step.parse().ok().filter(|s| *s > 0)?;
            out.extend((start..limit).step_by(step as usize));
        } else {
            out.push(item.parse().ok().filter(|v| *v < limit)?);
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// (year, month, day) of a day number since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `2026-11-21 10:00:00` (UTC), as Proxmox task logs print times.
pub fn format_datetime(t: f64) -> String {
    let t = t.floor() as i64;
    let (y, mo, d) = civil_from_days(t.div_euclid(86_400));
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// `2026_11_21-10_00_00`, as vzdump names its archives.
pub fn format_archive_stamp(t: f64) -> String {
    format_datetime(t)
        .replace(['-', ':'], "_")
        .replace(' ', "-")
}

/// `00:01:41` for a duration in seconds.
pub fn format_hms(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-21 is a Saturday.
    const SAT_NOON: f64 = 1_795_262_400.0;

    #[test]
    fn dates() {
        assert_eq!(format_datetime(SAT_NOON), "2026-11-21 12:00:00");
        assert_eq!(format_archive_stamp(SAT_NOON), "2026_11_21-12_00_00");
        assert_eq!(format_hms(101.0), "00:01:41");
    }

    #[test]
    fn daily_and_weekly() {
        let daily = Schedule::parse("02:00").unwrap();
        assert_eq!(
            format_datetime(daily.next_after(SAT_NOON)),
            "2026-11-22 02:00:00"
        );
        let weekly = Schedule::parse("sun 03:00").unwrap();
        assert_eq!(
            format_datetime(weekly.next_after(SAT_NOON)),
            "2026-11-22 03:00:00"
        );
        let weekdays = Schedule::parse("mon..fri 22:30").unwrap();
        assert_eq!(
            format_datetime(weekdays.next_after(SAT_NOON)),
            "2026-11-23 22:30:00"
        );
    }

    #[test]
    fn monthly_and_steps() {
        let monthly = Schedule::parse("*-*-01 04:00").unwrap();
        assert_eq!(
            format_datetime(monthly.next_after(SAT_NOON)),
            "2026-12-01 04:00:00"
        );
        let quarter = Schedule::parse("*:0/15").unwrap();
        assert_eq!(
            format_datetime(quarter.next_after(SAT_NOON)),
            "2026-11-21 12:15:00"
        );
        assert_eq!(quarter.between(SAT_NOON, SAT_NOON + 3600.0).len(), 4);
    }

    #[test]
    fn rejects_nonsense() {
        assert!(Schedule::parse("someday 25:00").is_none());
        assert!(Schedule::parse("*-*-40 01:00").is_none());
    }
}
