//! Simulated time: wall-clock time scaled by `--speed` (0 freezes it), plus any jumps a test asks
//! for.

use std::time::Instant;

#[derive(Debug, Clone)]
pub struct Clock {
    started: Instant,
    epoch_at_start: f64,
    speed: f64,
    offset: f64,
}

impl Clock {
    pub fn new(speed: f64) -> Self {
        let epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        Self::starting_at(epoch, speed)
    }

    pub fn starting_at(epoch: f64, speed: f64) -> Self {
        Self {
            started: Instant::now(),
            epoch_at_start: epoch,
            // 0 stops the clock: the world stays as it is until a test moves it on.
            speed: if speed.is_finite() && speed >= 0.0 {
                speed
            } else {
                1.0
            },
            offset: 0.0,
        }
    }

    /// Seconds since the Unix epoch, in simulated time.
    pub fn now(&self) -> f64 {
        self.epoch_at_start + self.started.elapsed().as_secs_f64() * self.speed + self.offset
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Jump ahead: what would have happened in between happens at once.
    pub fn advance(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds > 0.0 {
            self.offset += seconds;
        }
    }
}

/// Smooth deterministic noise in [0, 1]: the same (seed, key, t) always gives the same value, so
/// history asked for twice agrees with itself and with what was shown live.
pub fn noise(seed: u64, key: u64, t: f64, period: f64) -> f64 {
    let x = t / period;
    let i = x.floor();
    let frac = x - i;
    let a = hash01(seed, key, i as i64);
    let b = hash01(seed, key, i as i64 + 1);
    // Smoothstep: eases between the two values like a half cosine, at a fraction of the cost.
    let w = frac * frac * (3.0 - 2.0 * frac);
    a * (1.0 - w) + b * w
}

/// Two octaves of noise: slow drift plus faster jitter.
pub fn drift(seed: u64, key: u64, t: f64) -> f64 {
    0.7 * noise(seed, key, t, 900.0) + 0.3 * noise(seed, key ^ 0x9e37_79b9, t, 60.0)
}

fn hash01(seed: u64, key: u64, i: i64) -> f64 {
    let mut z = seed ^ key.rotate_left(17) ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_deterministic_and_bounded() {
        for t in 0..1000 {
            let t = t as f64 * 7.3;
            let a = drift(1, 2, t);
            assert_eq!(a, drift(1, 2, t));
            assert!((0.0..=1.0).contains(&a));
        }
        assert_ne!(drift(1, 2, 10.0), drift(1, 3, 10.0));
    }

    #[test]
    fn clock_scales_and_jumps() {
        let mut clock = Clock::starting_at(1000.0, 10.0);
        assert!(clock.now() >= 1000.0);
        clock.advance(60.0);
        assert!(clock.now() >= 1060.0);
    }
}
