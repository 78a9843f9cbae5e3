//! `--set key=value` overrides applied to the parsed YAML tree before it is read into the
//! schema. Keys are dotted paths with optional list indices: `seed=7`,
//! `scheduler.name=best-fit`, `nodePools[0].count=20`. Values are parsed as YAML scalars.

use crate::error::{Error, Result};
use serde_yaml_ng::{Mapping, Value};

enum Segment {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Segment>> {
    let bad = || {
        Error::Usage(format!(
            "--set: invalid key {path:?}; expected a dotted path such as scheduler.name or nodePools[0].count"
        ))
    };
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() {
            return Err(bad());
        }
        out.push(Segment::Key(name.to_owned()));
        let mut rest = rest;
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(bad)?;
            if !rest.starts_with('[') {
                return Err(bad());
            }
            let idx: usize = rest[1..close].parse().map_err(|_| bad())?;
            out.push(Segment::Index(idx));
            rest = &rest[close + 1..];
        }
    }
    Ok(out)
}

/// Applies one `key=value` override to `root`.
pub fn apply(root: &mut Value, assignment: &str) -> Result<()> {
    let (key, value) = assignment.split_once('=').ok_or_else(|| {
        Error::Usage(format!(
            "--set: {assignment:?} is not of the form key=value"
        ))
    })?;
    let segments = parse_path(key.trim())?;
    let new_value: Value = serde_yaml_ng::from_str(value)
        .map_err(|e| Error::Usage(format!("--set {key}: cannot parse value {value:?}: {e}")))?;
    let mut node = root;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        node = match seg {
            Segment::Key(k) => {
                if node.is_null() {
                    *node = Value::Mapping(Mapping::new());
                }
                let map = node.as_mapping_mut().ok_or_else(|| {
                    Error::Usage(format!(
                        "--set {key}: {k:?} is inside something that is not a mapping"
                    ))
                })?;
                let k = Value::String(k.clone());
                if !map.contains_key(&k) {
                    map.insert(k.clone(), Value::Null);
                }
                map.get_mut(&k).expect("inserted")
            }
            Segment::Index(idx) => {
                let seq = node.as_sequence_mut().ok_or_else(|| {
                    Error::Usage(format!(
                        "--set {key}: index [{idx}] applied to something that is not a list"
                    ))
                })?;
                let len = seq.len();
                seq.get_mut(*idx).ok_or_else(|| {
                    Error::Usage(format!(
                        "--set {key}: index [{idx}] out of range (the list has {len} items)"
                    ))
                })?
            }
        };
        if last {
            *node = new_value;
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_keys_and_indices() {
        let mut v: Value =
            serde_yaml_ng::from_str("seed: 1\nnodePools:\n  - name: a\n    count: 2\n").unwrap();
        apply(&mut v, "seed=7").unwrap();
        apply(&mut v, "nodePools[0].count=20").unwrap();
        apply(&mut v, "scheduler.name=best-fit").unwrap();
        assert_eq!(v["seed"], Value::from(7));
        assert_eq!(v["nodePools"][0]["count"], Value::from(20));
        assert_eq!(v["scheduler"]["name"], Value::from("best-fit"));
        assert!(apply(&mut v, "nodePools[3].count=1").is_err());
        assert!(apply(&mut v, "seed").is_err());
        assert!(apply(&mut v, "seed.x=1").is_err());
    }
}
