//! A corpus of malformed and extreme inputs, mutated deterministically from the shipped
//! scenarios and their data: wrong types and extreme values, deep nesting, alias bombs, BOM
//! and CRLF, truncated YAML and gzip, unsorted traces, missing columns, broken manifests,
//! budget limits. Each case runs the real binary under a time limit and an address-space
//! limit (`ulimit -v`), and must end with exit 0 and a complete output set, or exit 2 with a
//! message naming the file; never a hang, a signal, a panic or stray files.

use crate::support::root;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Wall-clock limit of one case (the debug binary on a loaded 2-core machine).
const TIMEOUT: Duration = Duration::from_secs(60);
/// Address-space limit of one case [KiB]: 4 GiB.
const ADDRESS_SPACE_KIB: u64 = 4 << 20;
/// The budget flags every case runs with.
const BUDGET: [&str; 4] = ["--max-events", "3000000", "--max-memory", "1Gi"];

#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// Exit 0 (with a complete output set for `run`).
    Success,
    /// Exit 2 with an error naming the file.
    Failure,
    /// Either.
    Either,
}

struct Case {
    name: String,
    /// Files of the case folder (the scenario is `scenario.yaml`).
    files: Vec<(String, Vec<u8>)>,
    /// `run` (writes `out/`) or `validate`.
    run: bool,
    args: Vec<String>,
    expect: Expect,
    /// Text the error must contain.
    message: Option<&'static str>,
    /// Pre-fill `out/` with earlier results that a failed run must leave as they were.
    previous_out: bool,
}

impl Case {
    fn new(name: impl Into<String>, scenario: impl Into<Vec<u8>>) -> Case {
        Case {
            name: name.into(),
            files: vec![("scenario.yaml".to_owned(), scenario.into())],
            run: false,
            args: Vec::new(),
            expect: Expect::Either,
            message: None,
            previous_out: false,
        }
    }
    fn run(mut self, duration: Option<&str>) -> Case {
        self.run = true;
        if let Some(d) = duration {
            self.args.push("--set".to_owned());
            self.args.push(format!("duration={d}"));
        }
        self
    }
    fn set(mut self, kv: &str) -> Case {
        self.args.push("--set".to_owned());
        self.args.push(kv.to_owned());
        self
    }
    fn arg(mut self, a: &str) -> Case {
        self.args.push(a.to_owned());
        self
    }
    fn expect(mut self, e: Expect) -> Case {
        self.expect = e;
        self
    }
    fn message(mut self, m: &'static str) -> Case {
        self.message = Some(m);
        self
    }
    fn file(mut self, name: &str, contents: impl Into<Vec<u8>>) -> Case {
        self.files.push((name.to_owned(), contents.into()));
        self
    }
}

/// splitmix64: a small deterministic generator for the mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Values that replace a scalar: wrong types and extremes.
const VALUES: &[&str] = &[
    "[1, 2]",
    "{a: 1}",
    "\"text\"",
    "-1",
    "1e400",
    "true",
    "null",
    "0",
    "99999999999999999999",
    "1e308",
    "-0.5",
    ".nan",
    ".inf",
    "1ms",
    "1e12",
    "''",
    "0.000001",
    "4294967296",
    "-9223372036854775809",
    "[[[[[[[[[[",
    "*undefined",
    "!!binary aGVsbG8=",
    "100000000000d",
    "1e9",
];

fn shipped() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, fs::read_to_string(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// Lines of `text` holding `key: scalar` (not comments), as (line index, value start).
fn scalar_lines(text: &str) -> Vec<(usize, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim_start();
            if t.starts_with('#') {
                return None;
            }
            let colon = l.find(": ")?;
            let key = l[..colon].trim_start().trim_start_matches("- ");
            let ok = !key.is_empty()
                && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !l[colon + 2..].trim().is_empty();
            ok.then_some((i, colon + 2))
        })
        .collect()
}

fn replace_line(text: &str, index: usize, from: usize, value: &str) -> String {
    let mut out = String::new();
    for (i, l) in text.lines().enumerate() {
        if i == index {
            out.push_str(&l[..from]);
            out.push_str(value);
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The whole corpus, in a fixed order.
fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut rng = Rng(0x006b_7562_6573_696d); // "kubesim"
    let bases = shipped();
    let base = |name: &str| {
        bases
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .unwrap()
    };

    // Wrong types and extreme values in a random scalar of each shipped scenario.
    for (name, text) in &bases {
        let lines = scalar_lines(text);
        for k in 0..20 {
            let (line, from) = lines[rng.below(lines.len())];
            let value = VALUES[rng.below(VALUES.len())];
            let mutated = replace_line(text, line, from, value);
            let mut c = Case::new(format!("{name}-value-{k}-line{}", line + 1), mutated);
            if k % 3 == 0 {
                c = c.run(Some("20m"));
            }
            cases.push(c);
        }
    }

    // Truncated YAML.
    for (name, text) in &bases {
        for k in 0..5 {
            let mut cut = rng.below(text.len());
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            cases.push(Case::new(format!("{name}-truncated-{k}"), &text[..cut]));
        }
    }

    // BOM and CRLF: valid scenarios stay valid.
    for (name, text) in &bases {
        let crlf = text.replace('\n', "\r\n");
        let bom = format!("\u{feff}{text}");
        let both = format!("\u{feff}{crlf}");
        for (kind, t) in [("crlf", crlf), ("bom", bom), ("bom-crlf", both)] {
            let mut c = Case::new(format!("{name}-{kind}"), t).expect(Expect::Success);
            if name == "quickstart" || name == "rolling-update" {
                c = c.run(Some("30m"));
            }
            cases.push(c);
        }
    }

    // Deep nesting, closed and unclosed, under a known and an unknown key.
    let head =
        "name: deep\nduration: 1h\nnodePools: [{name: a, instanceType: m5.xlarge, count: 1}]\n";
    for depth in [101usize, 1000, 100_000] {
        for (shape, open, close) in [
            ("flow-list", "[", "]"),
            ("flow-map", "{a: ", "}"),
            ("mixed", "[{a: ", "}]"),
        ] {
            for key in ["unknownKey", "deployments"] {
                for closed in [false, true] {
                    let mut t = format!("{head}{key}: {}", open.repeat(depth));
                    if closed {
                        t.push('1');
                        t.push_str(&close.repeat(depth));
                    }
                    t.push('\n');
                    cases.push(
                        Case::new(format!("deep-{shape}-{depth}-{key}-{closed}"), t)
                            .expect(Expect::Failure),
                    );
                }
            }
        }
        let mut block = head.to_owned();
        for i in 0..depth.min(3000) {
            block.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        cases.push(Case::new(format!("deep-block-{depth}"), block).expect(Expect::Failure));
        let dashes = format!("{head}deployments: {}x\n", "- ".repeat(depth));
        cases.push(Case::new(format!("deep-dashes-{depth}"), dashes).expect(Expect::Failure));
    }

    // Alias bombs (billion laughs).
    let mut laughs = vec!["&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]".to_owned()];
    for i in 1..9 {
        laughs.push(format!(
            "&l{i} [{}]",
            vec![format!("*l{}", i - 1); 10].join(", ")
        ));
    }
    let bomb = laughs.join(", ");
    let qs = base("quickstart");
    for (k, t) in [
        format!("{qs}variants: [{bomb}]\n"),
        format!("{qs}unknownKey: [{bomb}]\n"),
        format!("x-anchors: [{bomb}]\n{qs}"),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(Case::new(format!("bomb-{k}"), t.clone()).expect(Expect::Failure));
        cases.push(
            Case::new(format!("bomb-{k}-set"), t)
                .set("seed=5")
                .expect(Expect::Failure),
        );
    }
    let labels = qs.replacen(
        "labels: {app: web}",
        &format!("labels: {{app: web, x: [{bomb}]}}"),
        1,
    );
    cases.push(Case::new("bomb-labels", labels).expect(Expect::Failure));

    // Extreme values through --set (the classes of hangs and aborts seen before).
    let extremes: &[(&str, &[&str], Expect)] = &[
        ("synthetic-100k", &["sampleInterval=1ms"], Expect::Failure),
        (
            "synthetic-100k",
            &[
                "generators[0].count=1000000000000",
                "generators[0].ratePerSecond=1e9",
            ],
            Expect::Failure,
        ),
        (
            "synthetic-100k",
            &[
                "generators[0].count=1000000000000",
                "generators[0].ratePerSecond=1e5",
            ],
            Expect::Failure,
        ),
        (
            "synthetic-100k",
            &["generators[0].shapes[0].requests.cpu=1e12"],
            Expect::Failure,
        ),
        (
            "synthetic-100k",
            &["generators[0].shapes[0].requests.memory=1e30"],
            Expect::Failure,
        ),
        (
            "synthetic-100k",
            &["nodePools[0].count=1000000"],
            Expect::Failure,
        ),
        ("synthetic-100k", &["duration=100000d"], Expect::Failure),
        (
            "black-friday-40x",
            &[
                "deployments[0].hpa.maxReplicas=1000000000",
                "deployments[0].hpa.minReplicas=1000000",
            ],
            Expect::Failure,
        ),
        (
            "black-friday-40x",
            &["deployments[0].hpa.maxReplicas=1000000000"],
            Expect::Failure,
        ),
        (
            "black-friday-40x",
            &["deployments[0].load.constant=1e308"],
            Expect::Failure,
        ),
        (
            "black-friday-40x",
            &["deployments[0].load.spikes[0].factor=1e300"],
            Expect::Failure,
        ),
        (
            "black-friday-40x",
            &["deployments[0].replicas=10000000"],
            Expect::Failure,
        ),
        (
            "node-failure-mttr",
            &["nodePools[0].failures.timeBetweenFailures=1ms"],
            Expect::Failure,
        ),
        (
            "node-failure-mttr",
            &[
                "nodePools[0].failures.timeBetweenFailures={exponential: {mean: 1ms}}",
                "nodePools[0].failures.repairTime=1ms",
            ],
            Expect::Failure,
        ),
        (
            "node-failure-mttr",
            &["jobs[0].completions=4000000000"],
            Expect::Failure,
        ),
        (
            "spot-fleet",
            &["nodePools[1].interruptions.rate=1e9"],
            Expect::Failure,
        ),
        (
            "spot-fleet",
            &["nodePools[1].interruptions.rate=1e300"],
            Expect::Failure,
        ),
        (
            "spot-fleet",
            &["jobs[0].parallelism=100000000"],
            Expect::Failure,
        ),
        (
            "quickstart",
            &["nodePools[0].count=3000", "deployments[0].replicas=2000000"],
            Expect::Failure,
        ),
        (
            "quickstart",
            &["seed=18446744073709551615"],
            Expect::Success,
        ),
        ("quickstart", &["warmup=1000d"], Expect::Failure),
        (
            "memory-leak",
            &["sampleInterval=1s", "duration=1000d"],
            Expect::Failure,
        ),
        (
            "rolling-update",
            &["deployments[0].replicas=4000000000"],
            Expect::Failure,
        ),
        (
            "nasa-http",
            &["deployments[0].load.file.scale=1e300"],
            Expect::Failure,
        ),
        (
            "autoscaler-burst",
            &["clusterAutoscaler.scanInterval=1ms", "duration=1000d"],
            Expect::Failure,
        ),
    ];
    for (k, (name, sets, expect)) in extremes.iter().enumerate() {
        let mut c = Case::new(format!("{name}-extreme-{k}"), base(name))
            .run(None)
            .expect(*expect);
        for s in *sets {
            c = c.set(s);
        }
        cases.push(c);
    }
    // 100,000 rollouts.
    let ru = base("rolling-update");
    let at = ru.find("    rollouts:").unwrap();
    let mut many = ru[..at].to_owned();
    many.push_str("    rollouts:\n");
    for k in 0..100_000u64 {
        many.push_str(&format!(
            "      - {{at: {}ms, newVersion: {{requests: {{cpu: {}m}}}}}}\n",
            1_800_000 + k * 50,
            400 + k % 2 * 100
        ));
    }
    cases.push(
        Case::new("rolling-update-100k-rollouts", many)
            .run(None)
            .expect(Expect::Failure),
    );

    // The budget: refused before the run, and stopped during it (the estimate of this
    // scenario is just below its event count).
    cases.push(
        Case::new("budget-estimate", base("synthetic-100k"))
            .run(None)
            .arg("--max-events=1000")
            .expect(Expect::Failure)
            .message("--max-events"),
    );
    cases.push(
        Case::new("budget-memory", base("synthetic-100k"))
            .run(None)
            .arg("--max-memory=1Mi")
            .expect(Expect::Failure)
            .message("--max-memory"),
    );
    let mut stopped = Case::new("budget-stopped-during-run", base("memory-leak"))
        .run(None)
        .arg("--max-events=4500")
        .expect(Expect::Failure)
        .message("the run stopped at simulated time");
    stopped.previous_out = true;
    cases.push(stopped);
    let mut ok = Case::new("replaces-previous-results", base("quickstart"))
        .run(Some("30m"))
        .expect(Expect::Success);
    ok.previous_out = true;
    cases.push(ok);

    // Traces (the quickstart's native CSV): order, columns, encodings, values.
    let trace =
        fs::read_to_string(root().join("scenarios/data/alibaba-v2017-batch-2h.csv")).unwrap();
    let trace_path = "data/alibaba-v2017-batch-2h.csv";
    let rows: Vec<&str> = trace.lines().collect();
    let header = rows[0];
    let columns: Vec<&str> = header.split(',').collect();
    let mut traces: Vec<(String, Vec<u8>, Expect)> = Vec::new();
    let mut shuffled: Vec<&str> = rows[1..].to_vec();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i + 1));
    }
    traces.push((
        "unsorted".into(),
        format!("{header}\n{}\n", shuffled.join("\n")).into(),
        Expect::Either,
    ));
    let mut reversed: Vec<&str> = rows[1..].to_vec();
    reversed.reverse();
    traces.push((
        "reversed".into(),
        format!("{header}\n{}\n", reversed.join("\n")).into(),
        Expect::Either,
    ));
    for (c, col) in columns.iter().enumerate() {
        let drop = |l: &str| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| *i != c)
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
                .join(",")
        };
        let t: Vec<String> = rows.iter().map(|l| drop(l)).collect();
        traces.push((
            format!("missing-{col}"),
            format!("{}\n", t.join("\n")).into(),
            Expect::Either,
        ));
        let short: Vec<String> = std::iter::once(header.to_owned())
            .chain(rows[1..].iter().map(|l| drop(l)))
            .collect();
        traces.push((
            format!("short-rows-{col}"),
            format!("{}\n", short.join("\n")).into(),
            Expect::Failure,
        ));
    }
    traces.push(("empty".into(), Vec::new(), Expect::Either));
    traces.push((
        "header-only".into(),
        format!("{header}\n").into(),
        Expect::Either,
    ));
    traces.push((
        "crlf".into(),
        trace.replace('\n', "\r\n").into(),
        Expect::Success,
    ));
    traces.push((
        "bom".into(),
        format!("\u{feff}{trace}").into(),
        Expect::Success,
    ));
    traces.push((
        "extra-column".into(),
        rows.iter()
            .enumerate()
            .map(|(i, l)| format!("{l},{}\n", if i == 0 { "extra" } else { "1" }))
            .collect::<String>()
            .into(),
        Expect::Either,
    ));
    let mut bad_utf8 = trace.as_bytes().to_vec();
    let mid = bad_utf8.len() / 3;
    bad_utf8.splice(mid..mid, [0xff, 0xfe, 0x80]);
    traces.push(("bad-utf8".into(), bad_utf8, Expect::Either));
    traces.push((
        "truncated-row".into(),
        trace.as_bytes()[..trace.len() / 2].to_vec(),
        Expect::Either,
    ));
    for (k, v) in [
        "-1",
        "1e30",
        "lots",
        "",
        "99999999999999999999",
        "1e12",
        "NaN",
    ]
    .iter()
    .enumerate()
    {
        for c in 0..columns.len() {
            let t: Vec<String> = rows
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if i == 3 {
                        let mut f: Vec<&str> = l.split(',').collect();
                        f[c] = v;
                        f.join(",")
                    } else {
                        (*l).to_owned()
                    }
                })
                .collect();
            traces.push((
                format!("value-{k}-{}", columns[c]),
                format!("{}\n", t.join("\n")).into(),
                Expect::Either,
            ));
        }
    }
    traces.push((
        "long-field".into(),
        format!("{header}\n1000,{},1,1Gi,g\n", "9".repeat(1 << 20)).into(),
        Expect::Either,
    ));
    traces.push((
        "gzipped-by-mistake".into(),
        gzip(trace.as_bytes()),
        Expect::Failure,
    ));
    for (name, t, expect) in traces {
        cases.push(
            Case::new(format!("trace-{name}"), qs.clone())
                .file(trace_path, t)
                .run(Some("30m"))
                .expect(expect),
        );
    }

    // Truncated and corrupted gzip data.
    for (scenario, file) in [
        ("nasa-http", "data/nasa-http-1995-07-per-minute.csv.gz"),
        (
            "alibaba-openb",
            "data/alibaba-gpu-v2023_openb_pod_list_default.csv.gz",
        ),
        (
            "alibaba-openb",
            "data/alibaba-gpu-v2023_openb_node_list_all_node.csv.gz",
        ),
    ] {
        let data = fs::read(root().join("scenarios").join(file)).unwrap();
        let n = data.len();
        let mut flipped = data.clone();
        flipped[n / 2] ^= 0x5a;
        let mut garbage = data.clone();
        garbage.extend_from_slice(b"\x00\x01garbage");
        let variants: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("header", data[..10].to_vec()),
            ("first-block", data[..n.min(300)].to_vec()),
            ("half", data[..n / 2].to_vec()),
            ("no-trailer", data[..n - 8].to_vec()),
            ("last-byte", data[..n - 1].to_vec()),
            ("flipped", flipped),
            ("trailing-garbage", garbage),
        ];
        for (kind, bytes) in variants {
            cases.push(
                Case::new(
                    format!("{scenario}-gzip-{kind}-{}", file.len()),
                    base(scenario),
                )
                .file(file, bytes)
                .run(Some("6h"))
                .set("warmup=0s"),
            );
        }
    }

    // Manifests: broken objects beside the shipped example.
    let byc = base("bring-your-cluster");
    let api = fs::read_to_string(root().join("scenarios/manifests/shop/api.yaml")).unwrap();
    let api_lines = scalar_lines(&api);
    let mut manifests: Vec<(String, String, Vec<u8>, Expect)> = vec![
        (
            "deep-json".into(),
            "manifests/shop/deep.json".into(),
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into(),
            Expect::Failure,
        ),
        (
            "deep-yaml".into(),
            "manifests/shop/deep.yaml".into(),
            format!("kind: ConfigMap\ndata: {}\n", "{a: ".repeat(100_000)).into(),
            Expect::Failure,
        ),
        (
            "bomb".into(),
            "manifests/shop/bomb.yaml".into(),
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: b}}\ndata: [{bomb}]\n")
                .into(),
            // An ignored kind is skipped without expanding the aliases.
            Expect::Either,
        ),
        (
            "bomb-deployment".into(),
            "manifests/shop/bomb.yaml".into(),
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: b, labels: [{bomb}]}}\n"
            )
            .into(),
            Expect::Failure,
        ),
        (
            "truncated".into(),
            "manifests/shop/api.yaml".into(),
            api.as_bytes()[..api.len() / 2].to_vec(),
            Expect::Either,
        ),
        (
            "crlf-bom".into(),
            "manifests/shop/api.yaml".into(),
            format!("\u{feff}{}", api.replace('\n', "\r\n")).into(),
            Expect::Success,
        ),
    ];
    for k in 0..12 {
        let (line, from) = api_lines[rng.below(api_lines.len())];
        let value = VALUES[rng.below(VALUES.len())];
        manifests.push((
            format!("value-{k}-line{}", line + 1),
            "manifests/shop/api.yaml".into(),
            replace_line(&api, line, from, value).into(),
            Expect::Either,
        ));
    }
    for (name, file, contents, expect) in manifests {
        cases.push(
            Case::new(format!("manifests-{name}"), byc.clone())
                .file(&file, contents)
                .expect(expect),
        );
    }
    cases
}

/// Links `from` into `to`, or copies it where links are not possible.
fn link(from: &Path, to: &Path) {
    #[cfg(unix)]
    {
        if std::os::unix::fs::symlink(from, to).is_ok() {
            return;
        }
    }
    fs::copy(from, to).unwrap();
}

/// Copies the folder tree `from` into `to` (files only).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Writes the case folder: its files, with `data/` and `manifests/` of the shipped scenarios
/// beside them (linked, or copied where the case replaces some of their files).
fn write_case(dir: &Path, case: &Case) {
    fs::create_dir_all(dir).unwrap();
    let scenarios = root().join("scenarios");
    let own_data = case.files.iter().any(|(n, _)| n.starts_with("data/"));
    if own_data {
        fs::create_dir_all(dir.join("data")).unwrap();
        for e in fs::read_dir(scenarios.join("data")).unwrap() {
            let e = e.unwrap();
            link(&e.path(), &dir.join("data").join(e.file_name()));
        }
    } else {
        link(&scenarios.join("data"), &dir.join("data"));
    }
    if case.files.iter().any(|(n, _)| n.starts_with("manifests/")) {
        copy_tree(&scenarios.join("manifests"), &dir.join("manifests"));
    } else {
        link(&scenarios.join("manifests"), &dir.join("manifests"));
    }
    for (name, contents) in &case.files {
        let p = dir.join(name);
        let _ = fs::remove_file(&p);
        fs::write(&p, contents).unwrap();
    }
    if case.previous_out {
        fs::create_dir_all(dir.join("out")).unwrap();
        fs::write(dir.join("out/summary.csv"), "previous\n").unwrap();
        fs::write(dir.join("out/comparison.csv"), "previous comparison\n").unwrap();
    }
}

/// Runs one case; `Err` says what went wrong.
fn check_case(bin: &Path, dir: &Path, case: &Case) -> Result<(), String> {
    write_case(dir, case);
    let scenario = dir.join("scenario.yaml");
    let out = dir.join("out");
    let mut args: Vec<String> = vec![if case.run { "run" } else { "validate" }.to_owned()];
    args.push(scenario.display().to_string());
    if case.run {
        args.extend([
            "--out".to_owned(),
            out.display().to_string(),
            "--quiet".to_owned(),
        ]);
    }
    for pair in BUDGET.chunks(2) {
        if !case.args.iter().any(|a| a.starts_with(pair[0])) {
            args.extend(pair.iter().map(|s| (*s).to_owned()));
        }
    }
    args.extend(case.args.iter().cloned());
    let stderr_path = dir.join("stderr.txt");
    let started = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ADDRESS_SPACE_KIB}; exec \"$0\" \"$@\""))
        .arg(bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr_path).unwrap())
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stderr = fs::read_to_string(&stderr_path).unwrap_or_default();
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or("");
    if stderr.contains("panicked") || stderr.contains("memory allocation") {
        return Err(format!("crashed: {stderr}"));
    }
    let leftovers: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out."))
        .collect();
    if !leftovers.is_empty() {
        return Err(format!("stray staging files {leftovers:?}"));
    }
    match status.code() {
        Some(0) => {
            if case.expect == Expect::Failure {
                return Err("succeeded, expected an error".to_owned());
            }
            if case.run {
                for f in ["summary.csv", "timeseries.csv"] {
                    let len = fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
                    if len == 0 {
                        return Err(format!("exit 0 without {f}"));
                    }
                }
                if case.previous_out {
                    let kept = fs::read_to_string(out.join("comparison.csv")).unwrap_or_default();
                    if kept != "previous comparison\n" {
                        return Err("the other command's comparison.csv was lost".to_owned());
                    }
                }
            }
            Ok(())
        }
        Some(2) => {
            if case.expect == Expect::Success {
                return Err(format!("failed, expected success: {error}"));
            }
            let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
            if !error.contains(&dir_name) {
                return Err(format!("the error does not name the file: {stderr}"));
            }
            if let Some(m) = case.message
                && !error.contains(m)
            {
                return Err(format!("the error does not say {m:?}: {error}"));
            }
            if case.run {
                if case.previous_out {
                    let kept = fs::read_to_string(out.join("summary.csv")).unwrap_or_default();
                    if kept != "previous\n" {
                        return Err("a failed run changed the previous results".to_owned());
                    }
                } else if out.exists() {
                    return Err("a failed run left an output folder".to_owned());
                }
            }
            Ok(())
        }
        other => Err(format!("exit {other:?} (signal?): {stderr}")),
    }
}

#[test]
fn corpus_of_bad_inputs_never_hangs_crashes_or_leaves_partial_output() {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_kubesim"));
    let cases = corpus();
    assert!(cases.len() >= 500, "only {} cases", cases.len());
    let work = std::env::temp_dir().join(format!("kubesim-corpus-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let dir = work.join(format!("{i:03}-{}", case.name));
                    let started = Instant::now();
                    let result = check_case(&bin, &dir, case);
                    match result {
                        Ok(()) => {
                            let _ = fs::remove_dir_all(&dir);
                        }
                        Err(e) => failures.lock().unwrap().push(format!(
                            "{} ({:.1} s): {e}",
                            dir.display(),
                            started.elapsed().as_secs_f64()
                        )),
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    if failures.is_empty() {
        let _ = fs::remove_dir_all(&work);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn deep_set_values_are_refused_before_parsing() {
    let deep = format!("seed={}", "[".repeat(100_000));
    let text = fs::read_to_string(root().join("scenarios/quickstart.yaml")).unwrap();
    let path = root().join("scenarios/quickstart.yaml");
    let started = Instant::now();
    let err = kubesim::Scenario::from_yaml(&text, &path, &[deep])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--set:1:"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}
