//! The converter of neutral peer workloads (`scripts/convert_peer_workload.py`): its output for
//! a tiny generated folder (`tests/fixtures/peer-tiny/source/`, converted into
//! `tests/fixtures/peer-tiny/`) loads, and every pod and node matches the source files.

use crate::support::{root, simulate, temp_dir};
use kubesim::Scenario;
use std::path::Path;

/// Decimal seconds ("12.345") to milliseconds, rounded half up (as the converter does).
fn ms(text: &str) -> u64 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let mut digits: Vec<u8> = frac.bytes().collect();
    digits.resize(digits.len().max(4), b'0');
    let milli: u64 = std::str::from_utf8(&digits[..3]).unwrap().parse().unwrap();
    let up = u64::from(digits[3] >= b'5');
    whole.parse::<u64>().unwrap() * 1000 + milli + up
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[test]
fn converted_peer_workload_matches_its_source() {
    let dir = root().join("tests/fixtures/peer-tiny");
    let s = Scenario::load(&dir.join("scenario.yaml"), &[]).expect("converted scenario loads");
    let sim = simulate(&s);

    // Nodes: one pool per shape, with the shapes and counts of nodes.csv.
    let nodes = rows(&dir.join("source/nodes.csv"));
    assert_eq!(sim.cluster.nodes.len(), nodes.len());
    let shape = |cpu: u64, mem: u64, pods: u64| (cpu, mem, pods);
    let mut want: Vec<_> = nodes
        .iter()
        .map(|r| {
            shape(
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
                r[3].parse().unwrap(),
            )
        })
        .collect();
    let mut got: Vec<_> = sim
        .cluster
        .nodes
        .iter()
        .map(|n| {
            let a = n.allocatable;
            shape(a.cpu_milli, a.memory_bytes, a.pods)
        })
        .collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(sim.cluster.pools.len(), 3, "three node shapes, three pools");

    // Pods: arrival and duration in ms, requests and limits equal, all run to completion.
    let pods = rows(&dir.join("source/workload.csv"));
    assert_eq!(sim.cluster.pods.len(), pods.len());
    let mut last_finish = 0;
    for (p, row) in sim.cluster.pods.iter().zip(&pods) {
        let (arrival, duration) = (ms(&row[1]), ms(&row[2]).max(1));
        let (cpu, mem): (u64, u64) = (row[3].parse().unwrap(), row[4].parse().unwrap());
        assert_eq!(p.created.as_ms(), arrival, "{row:?}");
        assert_eq!((p.requests.cpu_milli, p.requests.memory_bytes), (cpu, mem));
        assert_eq!(
            (p.limits.cpu_milli, p.limits.memory_bytes),
            (Some(cpu), Some(mem))
        );
        assert!(
            p.finished.as_ms() >= arrival + duration,
            "{row:?} ran to the end"
        );
        last_finish = last_finish.max(p.finished.as_ms());
    }
    assert!(
        last_finish <= s.spec.duration.0,
        "the duration covers the last finish"
    );
    assert_eq!(s.spec.sample_interval.0, 60_000, "1-minute samples");
}

/// The committed fixture is what the converter writes today (checked where python3 exists).
#[test]
fn converter_reproduces_the_fixture() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("python3 not found: converter check skipped");
        return;
    }
    let fixture = root().join("tests/fixtures/peer-tiny");
    let out = temp_dir("peer-convert");
    let status = std::process::Command::new("python3")
        .arg(root().join("scripts/convert_peer_workload.py"))
        .arg(fixture.join("source"))
        .arg(&out)
        .args(["--name", "peer-tiny"])
        .output()
        .expect("converter runs");
    assert!(status.status.success(), "{status:?}");
    for f in ["scenario.yaml", "trace.csv"] {
        assert_eq!(
            std::fs::read_to_string(out.join(f)).unwrap(),
            std::fs::read_to_string(fixture.join(f)).unwrap(),
            "{f} differs from the committed fixture; regenerate it"
        );
    }
}
