//! Limits on the YAML and JSON text kubesim reads (scenarios, manifests, scheduler
//! configurations): a size limit checked before reading, and a nesting-depth limit checked by
//! a cheap scan before the text reaches the YAML parser, whose time grows faster than linearly
//! with the depth of unclosed flow collections (`[[[[…` never finishes at 100,000 levels).
//!
//! The scan counts flow nesting (`[`, `{` outside quotes and comments) plus block nesting
//! (indentation levels and the `- ` entries that open a sequence on the same line). It is
//! deliberately lenient where YAML is ambiguous (a `[` inside a plain scalar is not counted):
//! it only has to catch documents far deeper than any real one.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// Largest YAML or JSON file kubesim reads [bytes] (256 MiB: a `kubectl get -o yaml` dump of
/// a large cluster is tens of MiB).
pub const MAX_YAML_BYTES: u64 = 256 << 20;

/// Deepest nesting accepted (flow collections plus block levels). serde_yaml_ng refuses
/// more than 128 levels when it builds values anyway; real scenarios and Kubernetes objects
/// nest fewer than 30 levels.
pub const MAX_YAML_DEPTH: usize = 100;

/// Reads a YAML or JSON file as text, refusing files over [`MAX_YAML_BYTES`] before reading
/// them, and checks its nesting depth ([`check_depth`]).
pub fn read_yaml_file(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let too_big = || Error::Yaml {
        file: path.display().to_string(),
        location: String::new(),
        message: format!(
            "the file is larger than {} MiB, the most kubesim reads from a YAML or JSON file",
            MAX_YAML_BYTES >> 20
        ),
    };
    let len = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    if len.is_some_and(|l| l > MAX_YAML_BYTES) {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    // The size comes from the input: reserve it fallibly rather than abort.
    bytes
        .try_reserve_exact(len.unwrap_or(0) as usize)
        .map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::OutOfMemory, e),
            )
        })?;
    file.take(MAX_YAML_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > MAX_YAML_BYTES {
        return Err(too_big());
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ),
        )
    })?;
    check_depth(&text, path)?;
    Ok(text)
}

/// Checks that `text` nests at most [`MAX_YAML_DEPTH`] levels; the error names the line and
/// column where the limit is passed. `file` names the file in the error.
pub fn check_depth(text: &str, file: &Path) -> Result<()> {
    match deepest(text) {
        Some((line, column)) => Err(Error::Yaml {
            file: file.display().to_string(),
            location: format!(":{line}:{column}"),
            message: format!(
                "nested more than {MAX_YAML_DEPTH} levels deep (flow `[`/`{{` plus indentation); \
                 kubesim reads YAML and JSON nested at most {MAX_YAML_DEPTH} levels"
            ),
        }),
        None => Ok(()),
    }
}

/// The 1-based line and column where the nesting first exceeds [`MAX_YAML_DEPTH`], if it does.
fn deepest(text: &str) -> Option<(usize, usize)> {
    // Indentation of the open block levels (outermost first).
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    // Open quote across lines: `'` or `"`.
    let mut quote: Option<u8> = None;
    // Inside a block scalar (`|`, `>`) introduced on a line indented this much.
    let mut block_scalar: Option<usize> = None;
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let blank = bytes[indent..]
            .iter()
            .all(|&b| b == b' ' || b == b'\t' || b == b'\r');
        if let Some(parent) = block_scalar {
            if blank || indent > parent {
                continue;
            }
            block_scalar = None;
        }
        if quote.is_none() && flow == 0 {
            if blank || bytes[indent] == b'#' {
                continue;
            }
            if line.starts_with("---") || line.starts_with("...") {
                indents.clear();
            }
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        let mut depth_here = indents.len();
        let mut prev = b' ';
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if b == b'\\' && q == b'"' {
                    i += 2;
                    continue;
                }
                if b == q {
                    quote = None;
                }
                prev = b;
                i += 1;
                continue;
            }
            let at_token_start = matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b':');
            match b {
                b'#' if prev == b' ' || prev == b'\t' || i == 0 => break,
                b'\'' | b'"' if at_token_start || i == indent => quote = Some(b),
                b'[' | b'{' if flow > 0 || at_token_start || i == indent => {
                    flow += 1;
                    if depth_here + flow > MAX_YAML_DEPTH {
                        return Some((n + 1, i + 1));
                    }
                }
                b']' | b'}' if flow > 0 => flow -= 1,
                // `- - x`: every dash after the first opens one more level.
                b'-' if flow == 0 && i > indent && prev == b' ' && next_is_space(bytes, i) => {
                    depth_here += 1;
                }
                b'|' | b'>' if flow == 0 && at_token_start && is_block_indicator(&bytes[i..]) => {
                    block_scalar = Some(indent);
                    break;
                }
                _ => {}
            }
            if depth_here + flow > MAX_YAML_DEPTH {
                return Some((n + 1, i + 1));
            }
            prev = b;
            i += 1;
        }
        if depth_here + flow > MAX_YAML_DEPTH {
            return Some((n + 1, 1));
        }
    }
    None
}

fn next_is_space(bytes: &[u8], i: usize) -> bool {
    bytes.get(i + 1).is_none_or(|&b| b == b' ' || b == b'\t')
}

/// Whether `rest` (starting at `|` or `>`) is a block scalar header: the indicator, optional
/// chomping/indentation indicators, then only a comment or nothing.
fn is_block_indicator(rest: &[u8]) -> bool {
    let mut i = 1;
    while i < rest.len() && matches!(rest[i], b'+' | b'-' | b'1'..=b'9') {
        i += 1;
    }
    let tail = &rest[i..];
    let tail = tail
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .map_or(&[][..], |p| &tail[p..]);
    tail.is_empty() || (tail[0] == b'#' && i < rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(text: &str) -> bool {
        deepest(text).is_none()
    }

    #[test]
    fn deep_flow_lists_are_refused_at_once() {
        let deep = format!("name: x\nfoo: {}", "[".repeat(100_000));
        assert_eq!(deepest(&deep), Some((2, 5 + MAX_YAML_DEPTH)));
        let closed = format!("a: {}{}", "{a: ".repeat(200), "}".repeat(200));
        assert!(!depth_ok(&closed));
        let err = check_depth(&deep, Path::new("s.yaml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("s.yaml:2:"), "{err}");
        assert!(err.contains("nested more than 100 levels"), "{err}");
    }

    #[test]
    fn deep_block_nesting_is_refused() {
        let mut t = String::new();
        for i in 0..150 {
            t.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        assert!(!depth_ok(&t));
        assert!(!depth_ok(&format!("a: {}x", "- ".repeat(150))));
    }

    #[test]
    fn ordinary_yaml_passes() {
        for f in std::fs::read_dir("scenarios").unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&p).unwrap();
                assert!(depth_ok(&text), "{}", p.display());
            }
        }
        let t = "a:\n  b: [1, [2, {c: d}]]\n  s: 'it''s [ not'\n  p: echo [x\n  l: |\n    [[[[[[\n  q: \"a\\\"[\"\n# [[[[\n";
        assert!(depth_ok(t));
        let forty = format!("a: {}{}\n", "[".repeat(40), "]".repeat(40));
        assert!(depth_ok(&forty));
    }

    #[test]
    fn size_limit_is_checked_before_reading() {
        let dir = std::env::temp_dir().join(format!("kubesim-yaml-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("big.yaml");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_YAML_BYTES + 1).unwrap();
        let err = read_yaml_file(&p).unwrap_err().to_string();
        assert!(err.contains("larger than 256 MiB"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
