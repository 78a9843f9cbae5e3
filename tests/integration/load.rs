//! Load curves on the shipped NASA-HTTP request series, and a service serving them.

use crate::support::root;
use kubesim::engine::rng::{Stream, stream};
use kubesim::workload::load_curve::LoadCurve;
use kubesim::workload::load_curve::spec::LoadSpec;
use kubesim::workload::service_load::{PodCapacity, ReadyPod, ServeScratch, ServiceLoadModel};

const MIN: u64 = 60_000;
const DAY: u64 = 86_400_000;

fn nasa(yaml: &str) -> LoadCurve {
    let spec: LoadSpec = serde_yaml_ng::from_str(yaml).unwrap();
    spec.validate("load").unwrap();
    spec.build(
        "load",
        &root().join("scenarios/data"),
        &mut stream(1, Stream::Load(0)),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn nasa_july_series_matches_the_trace() {
    let c = nasa("{file: nasa-http-1995-07-per-minute.csv.gz}");
    // 39,692 whole minutes from 1995-07-01 00:00 EDT; 1,891,672 requests (the official July
    // count less the dropped last second and the partial last minute).
    assert_eq!(c.data_end_ms(), Some(39_692 * MIN));
    assert_eq!(c.requests(0, 40_000 * MIN), 1_891_672.0);
    // The first minute has 42 requests; Monday July 10 has 72,860.
    assert_eq!(c.rate(0), 42.0 / 60.0);
    assert_eq!(c.requests(9 * DAY, 10 * DAY), 72_860.0);
    // The weekend is quieter than the weekdays around it (Sat 8 + Sun 9 vs Thu 6 + Fri 7).
    assert!(c.requests(7 * DAY, 9 * DAY) < 0.5 * c.requests(5 * DAY, 7 * DAY));
}

#[test]
fn nasa_august_series_shows_the_outage_as_zeros() {
    let c = nasa("{file: nasa-http-1995-08-per-minute.csv.gz}");
    assert_eq!(c.data_end_ms(), Some(31 * DAY));
    // Hurricane Erin: no requests from Aug 1 14:53 to Aug 3 04:36.
    assert_eq!(
        c.requests((14 * 60 + 53) * MIN, DAY + (28 * 60 + 36) * MIN),
        0.0
    );
    assert!(c.requests(0, (14 * 60 + 52) * MIN) > 20_000.0);
}

#[test]
fn scaled_nasa_week_overloads_a_fixed_service() {
    // A week from Monday July 10, ×20 and resampled to 5-minute bins (mean 18.4/s, peak
    // 100.1/s), against 4 pods that serve 15 requests/s each: the afternoon peaks exceed the
    // 60/s. An independent sum over the 5-minute bins of max(0, rate − 60) gives 1.2303% of
    // the requests unserved.
    let c = nasa(
        "{file: {path: nasa-http-1995-07-per-minute.csv.gz, skip: 9d, scale: 20, resample: 5m}}",
    );
    let week = 7 * DAY;
    let model = ServiceLoadModel {
        cpu_base_milli: 50.0,
        cpu_per_rps_milli: 3.0,
        memory_base_bytes: 256.0 * 1024.0 * 1024.0,
        memory_per_rps_bytes: 0.0,
        capacity: PodCapacity::PerPod(15.0),
        imbalance: 0.0,
        seed: 1,
    };
    let pods: Vec<ReadyPod> = (0..4)
        .map(|key| ReadyPod {
            key,
            cpu_limit_milli: Some(1000),
        })
        .collect();
    let mut scratch = ServeScratch::default();
    let whole = model.serve(&c, 0, week, &pods, &mut scratch);
    // The same, accounted per 15 s step as an engine would.
    let mut stepped = kubesim::workload::service_load::Served::default();
    for k in 0..week / 15_000 {
        stepped.add(model.serve(&c, k * 15_000, (k + 1) * 15_000, &pods, &mut scratch));
    }
    assert!((whole.demand - stepped.demand).abs() < 1e-6 * whole.demand);
    assert!((whole.unserved - stepped.unserved).abs() < 1e-6 * whole.demand);
    assert!(
        (whole.unserved_fraction() - 0.012_303).abs() < 1e-5,
        "{whole:?}"
    );
    // Demand is the scaled series: 20 × the week's requests.
    let raw = nasa("{file: nasa-http-1995-07-per-minute.csv.gz}");
    assert!((whole.demand - 20.0 * raw.requests(9 * DAY, 16 * DAY)).abs() < 1e-6 * whole.demand);
}

#[test]
fn readme_examples_build() {
    let dir = root().join("scenarios");
    for yaml in [
        "{diurnal: {mean: 200, amplitude: 150, peakHour: 14, weekendFactor: 0.6, startDay: Monday},
          spikes: [{at: 2d, factor: 40, rampUp: 2h, hold: 6h, rampDown: 1h}], noise: poisson}",
        "{file: {path: data/nasa-http-1995-07-per-minute.csv.gz, skip: 9d, scale: 20}}",
    ] {
        let spec: LoadSpec = serde_yaml_ng::from_str(yaml).unwrap();
        spec.validate("load").unwrap();
        let c = spec
            .build("load", &dir, &mut stream(1, Stream::Load(0)))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(c.requests(0, DAY) > 0.0);
    }
}
