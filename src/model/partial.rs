//! Pane data read from many requests, where some may fail: each part that failed keeps what the
//! last good read of it said, marked with when that was and why it is not newer — or, never read,
//! is known to be unknown, so nothing is concluded from its absence. Pure.

use std::time::SystemTime;

use serde::Serialize;

use crate::model::text::duration as age;

/// A part of a pane's data that its last read did not get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stale {
    /// What it is: `OSD tree`, `interfaces of pve-ms01-02`, `config of VM 111`.
    pub part: String,
    /// Why the last read of it failed.
    pub error: String,
    /// When what is shown of it was read (Unix seconds in JSON); `None` when it never was, so
    /// nothing of it is shown.
    #[serde(serialize_with = "epoch")]
    pub read_at: Option<SystemTime>,
}

fn epoch<S: serde::Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok()) {
        Some(d) => s.serialize_some(&d.as_secs()),
        None => s.serialize_none(),
    }
}

impl Stale {
    /// `OSD tree: HTTP 500 … (shown as read 35s ago)`, or `(not read yet)`.
    pub fn text(&self, now: SystemTime) -> String {
        match self.read_at {
            Some(at) => format!(
                "{}: {} (shown as read {} ago)",
                self.part,
                self.error,
                age(now.duration_since(at).unwrap_or_default().as_secs())
            ),
            None => format!("{}: {} (unknown: never read)", self.part, self.error),
        }
    }
}

/// The parts of one read that failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Partial(Vec<Stale>);

impl Partial {
    /// Record that `part` could not be read this time.
    pub fn failed(&mut self, part: impl Into<String>, error: impl std::fmt::Display) {
        self.0.push(Stale {
            part: part.into(),
            error: error.to_string(),
            read_at: None,
        });
    }

    pub fn get(&self, part: &str) -> Option<&Stale> {
        self.0.iter().find(|s| s.part == part)
    }

    /// `part` failed and no earlier read of it is shown: its absence says nothing.
    pub fn unknown(&self, part: &str) -> bool {
        self.get(part).is_some_and(|s| s.read_at.is_none())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Stale> {
        self.0.iter()
    }

    /// Each part in words, with its age against `now`.
    pub fn lines(&self, now: SystemTime) -> Vec<String> {
        self.0.iter().map(|s| s.text(now)).collect()
    }

    /// If `part` failed in this read, put the previous read's value of it in `value` and say
    /// when that was read: the previous read's time, or, if it too carried the part over, the
    /// time it carried. A part the previous read did not have stays unknown.
    pub fn carry<T: Clone>(&mut self, part: &str, value: &mut T, previous: &Previous<'_, T>) {
        let Some(stale) = self.0.iter_mut().find(|s| s.part == part) else {
            return;
        };
        let read_at = match previous.partial.get(part) {
            Some(old) => old.read_at,
            None => Some(previous.read_at),
        };
        if read_at.is_some() {
            *value = previous.value.clone();
        }
        stale.read_at = read_at;
    }
}

/// One part as the previous read had it.
pub struct Previous<'a, T> {
    pub value: &'a T,
    pub partial: &'a Partial,
    pub read_at: SystemTime,
}

impl<'a, T> Previous<'a, T> {
    pub fn of(value: &'a T, partial: &'a Partial, read_at: SystemTime) -> Self {
        Self {
            value,
            partial,
            read_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_773_136_800 + secs)
    }

    #[test]
    fn a_failed_part_shows_the_last_good_read_with_its_time() {
        let first = Partial::default();
        let good = vec![1, 2, 3];
        // The second read fails: the first read's value is kept, read at its time.
        let mut second = Partial::default();
        second.failed("OSD tree", "HTTP 500");
        let mut value: Vec<i32> = Vec::new();
        second.carry(
            "OSD tree",
            &mut value,
            &Previous {
                value: &good,
                partial: &first,
                read_at: at(0),
            },
        );
        assert_eq!(value, good);
        assert_eq!(second.get("OSD tree").unwrap().read_at, Some(at(0)));
        assert_eq!(
            second.lines(at(35)),
            ["OSD tree: HTTP 500 (shown as read 35s ago)"]
        );
        // A third failure keeps the first read's time, not the second's.
        let mut third = Partial::default();
        third.failed("OSD tree", "timeout");
        let mut again: Vec<i32> = Vec::new();
        third.carry(
            "OSD tree",
            &mut again,
            &Previous {
                value: &value,
                partial: &second,
                read_at: at(5),
            },
        );
        assert_eq!(again, good);
        assert_eq!(third.get("OSD tree").unwrap().read_at, Some(at(0)));
    }

    #[test]
    fn a_part_never_read_stays_unknown() {
        let mut first = Partial::default();
        first.failed("SDN zones", "HTTP 500");
        let mut second = Partial::default();
        second.failed("SDN zones", "HTTP 500");
        let mut zones: Vec<String> = Vec::new();
        second.carry(
            "SDN zones",
            &mut zones,
            &Previous {
                value: &Vec::new(),
                partial: &first,
                read_at: at(0),
            },
        );
        assert!(second.unknown("SDN zones"));
        assert!(second.lines(at(9))[0].contains("never read"));
        // A part that did not fail is left alone.
        let mut ok = vec!["homelab".to_string()];
        second.carry(
            "SDN vnets",
            &mut ok,
            &Previous {
                value: &Vec::new(),
                partial: &first,
                read_at: at(0),
            },
        );
        assert_eq!(ok, ["homelab"]);
    }
}
