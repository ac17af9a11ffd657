//! What "now" is: the wall clock beside a real cluster, the simulated world's own time beside the
//! embedded demo (which may start at a chosen instant, and tests' simulators always do), so ages
//! and staleness are measured against the clock of the cluster that is shown.

use std::time::SystemTime;

use crate::sim::SimClock;

#[derive(Clone, Default)]
pub enum Clock {
    #[default]
    Wall,
    Sim(SimClock),
}

impl Clock {
    pub fn now(&self) -> SystemTime {
        match self {
            Clock::Wall => SystemTime::now(),
            Clock::Sim(c) => c.now(),
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Clock::Wall => "Clock::Wall",
            Clock::Sim(_) => "Clock::Sim",
        })
    }
}
