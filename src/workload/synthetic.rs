//! Synthetic bare-pod stream: Poisson arrivals (exponential inter-arrival times), request shapes
//! drawn by weight, run times from a distribution. Drawn from the source's own random stream.

use super::distribution::sample_ms;
use super::{PodArrival, WorkloadSource};
use crate::cluster::pod::{Lifetime, Limits};
use crate::cluster::resources::Resources;
use crate::engine::rng::SimRng;
use crate::engine::time::SimTime;
use crate::error::Result;
use crate::scenario::values::DurationDist;
use rand::Rng;
use rand_distr::{Distribution, Exp};

/// A request shape with its weight.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Relative weight.
    pub weight: u32,
    /// Requests.
    pub requests: Resources,
    /// Limits.
    pub limits: Limits,
    /// Usage while running.
    pub usage: Resources,
}

/// The generator.
pub struct PoissonGenerator {
    rng: SimRng,
    inter_arrival: Exp<f64>,
    /// Arrival time in fractional ms (kept exact, rounded per pod).
    clock_ms: f64,
    remaining: u64,
    ordinal: u32,
    shapes: Vec<Shape>,
    total_weight: u32,
    duration: Option<DurationDist>,
}

impl PoissonGenerator {
    /// A generator of `count` pods at `rate_per_second` from `start_ms`. `shapes` must be
    /// non-empty with a positive total weight and the rate must be positive (validated by the
    /// scenario loader).
    pub fn new(
        rng: SimRng,
        start_ms: u64,
        rate_per_second: f64,
        count: u64,
        shapes: Vec<Shape>,
        duration: Option<DurationDist>,
    ) -> Self {
        let total_weight = shapes.iter().map(|s| s.weight).sum();
        PoissonGenerator {
            rng,
            inter_arrival: Exp::new(rate_per_second / 1000.0).expect("rate validated positive"),
            clock_ms: start_ms as f64,
            remaining: count,
            ordinal: 0,
            shapes,
            total_weight,
            duration,
        }
    }
}

impl WorkloadSource for PoissonGenerator {
    fn next_arrival(&mut self) -> Result<Option<PodArrival>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        self.clock_ms += self.inter_arrival.sample(&mut self.rng);
        let mut pick = self.rng.random_range(0..self.total_weight);
        let mut shape = self.shapes[0];
        for s in &self.shapes {
            if pick < s.weight {
                shape = *s;
                break;
            }
            pick -= s.weight;
        }
        let lifetime = match &self.duration {
            Some(d) => Lifetime::RunFor(sample_ms(d, &mut self.rng)),
            None => Lifetime::Forever,
        };
        let ordinal = self.ordinal;
        self.ordinal += 1;
        Ok(Some(PodArrival {
            time: SimTime(self.clock_ms.round() as u64),
            requests: shape.requests,
            limits: shape.limits,
            usage: shape.usage,
            priority: None,
            lifetime,
            ordinal,
            template_slot: 0,
        }))
    }
}
