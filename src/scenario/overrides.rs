//! `--set key=value` overrides applied to the parsed YAML tree before it is read into the
//! schema. Keys are dotted paths with optional list selectors: `seed=7`,
//! `scheduler.name=best-fit`, `nodePools[0].count=20` (an index), `deployments[name=web].replicas=3`
//! (the one list item whose `name` is `web`). A backslash escapes the next character, so a key
//! containing dots is written `annotations.cluster-autoscaler\.kubernetes\.io/safe-to-evict`.
//! Values are parsed as YAML scalars (or flow collections).

use crate::error::{Error, Result};
use serde_yaml_ng::{Mapping, Value};

/// One step of an override path.
#[derive(Clone, Debug, PartialEq)]
enum Segment {
    /// A mapping key.
    Key(String),
    /// A list index (0-based).
    Index(usize),
    /// The one list item whose field `field` equals `value`.
    Match { field: String, value: String },
}

/// Splits `key=value` at the first `=` that is neither escaped nor inside `[...]`.
pub fn split_assignment(assignment: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in assignment.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '=' if depth == 0 => return Some((&assignment[..i], &assignment[i + 1..])),
            _ => {}
        }
    }
    None
}

fn parse_path(path: &str) -> Result<Vec<Segment>> {
    let bad = || {
        Error::Usage(format!(
            "--set: invalid key {path:?}; expected a dotted path such as scheduler.name or nodePools[0].count"
        ))
    };
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    // Whether the next segment must be a key (at the start and after a dot).
    let mut need_key = true;
    while chars.peek().is_some() {
        if need_key {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                match c {
                    '\\' => {
                        chars.next();
                        name.push(chars.next().ok_or_else(bad)?);
                    }
                    '.' | '[' => break,
                    ']' => return Err(bad()),
                    _ => {
                        name.push(c);
                        chars.next();
                    }
                }
            }
            if name.is_empty() {
                return Err(bad());
            }
            out.push(Segment::Key(name));
            need_key = false;
        }
        match chars.next() {
            None => break,
            Some('.') => {
                need_key = true;
                if chars.peek().is_none() {
                    return Err(bad());
                }
            }
            Some('[') => {
                let mut inner = String::new();
                let mut escapes = Vec::new();
                loop {
                    match chars.next().ok_or_else(bad)? {
                        '\\' => {
                            escapes.push(inner.len());
                            inner.push(chars.next().ok_or_else(bad)?);
                        }
                        ']' => break,
                        c => inner.push(c),
                    }
                }
                // `[field=value]` selects by a field; `[n]` by position.
                let eq = inner
                    .char_indices()
                    .find(|&(i, c)| c == '=' && !escapes.contains(&i))
                    .map(|(i, _)| i);
                match eq {
                    Some(i) => {
                        let (field, value) = (&inner[..i], &inner[i + 1..]);
                        if field.is_empty() {
                            return Err(Error::Usage(format!(
                                "--set: invalid key {path:?}; a list selector is [field=value], e.g. deployments[name=web]"
                            )));
                        }
                        out.push(Segment::Match {
                            field: field.to_owned(),
                            value: value.to_owned(),
                        });
                    }
                    None => out.push(Segment::Index(inner.parse().map_err(|_| bad())?)),
                }
                if let Some(&c) = chars.peek()
                    && c != '.'
                    && c != '['
                {
                    return Err(bad());
                }
            }
            Some(_) => return Err(bad()),
        }
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

/// The text of a scalar for matching a `[field=value]` selector (`None` for collections).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Applies one `key=value` override to `root`.
pub fn apply(root: &mut Value, assignment: &str) -> Result<()> {
    let (key, value) = split_assignment(assignment).ok_or_else(|| {
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
            Segment::Match { field, value } => {
                let seq = node.as_sequence_mut().ok_or_else(|| {
                    Error::Usage(format!(
                        "--set {key}: selector [{field}={value}] applied to something that is not a list"
                    ))
                })?;
                let field_key = Value::String(field.clone());
                let field_of = |item: &Value| {
                    item.as_mapping()
                        .and_then(|m| m.get(&field_key))
                        .and_then(scalar_text)
                };
                let matches: Vec<usize> = seq
                    .iter()
                    .enumerate()
                    .filter(|(_, item)| field_of(item).as_deref() == Some(value.as_str()))
                    .map(|(i, _)| i)
                    .collect();
                match matches[..] {
                    [one] => &mut seq[one],
                    [] => {
                        let known: Vec<String> = seq.iter().filter_map(field_of).collect();
                        let known = if known.is_empty() {
                            format!("no item of the list has a `{field}` field")
                        } else {
                            format!("the list's {field}s are: {}", known.join(", "))
                        };
                        return Err(Error::Usage(format!(
                            "--set {key}: no list item has {field} {value:?} ({known})"
                        )));
                    }
                    [a, b, ..] => {
                        return Err(Error::Usage(format!(
                            "--set {key}: {} list items have {field} {value:?} (items [{a}] and [{b}]); \
                             select one by index instead",
                            matches.len()
                        )));
                    }
                }
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

    fn err(v: &mut Value, a: &str) -> String {
        apply(v, a).unwrap_err().to_string()
    }

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

    #[test]
    fn escaped_dots_address_keys_containing_dots() {
        let mut v: Value = serde_yaml_ng::from_str("annotations: {}\n").unwrap();
        apply(
            &mut v,
            r#"annotations.cluster-autoscaler\.kubernetes\.io/safe-to-evict="false""#,
        )
        .unwrap();
        let map = v["annotations"].as_mapping().unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(
            v["annotations"]["cluster-autoscaler.kubernetes.io/safe-to-evict"],
            Value::from("false")
        );
        // An escaped `=` and `[` belong to the key.
        apply(&mut v, r"labels.a\=b\[c=1").unwrap();
        assert_eq!(v["labels"]["a=b[c"], Value::from(1));
    }

    #[test]
    fn selects_list_items_by_name() {
        let mut v: Value = serde_yaml_ng::from_str(
            "deployments:\n  - {name: web, replicas: 2}\n  - {name: db.main, replicas: 1}\n  - {name: dup}\n  - {name: dup}\n",
        )
        .unwrap();
        apply(&mut v, "deployments[name=web].replicas=5").unwrap();
        apply(&mut v, "deployments[name=db.main].replicas=3").unwrap();
        assert_eq!(v["deployments"][0]["replicas"], Value::from(5));
        assert_eq!(v["deployments"][1]["replicas"], Value::from(3));
        let none = err(&mut v, "deployments[name=wbe].replicas=1");
        assert!(none.contains("no list item has name \"wbe\""), "{none}");
        assert!(none.contains("web, db.main, dup, dup"), "{none}");
        let two = err(&mut v, "deployments[name=dup].replicas=1");
        assert!(two.contains("2 list items have name \"dup\""), "{two}");
        assert!(two.contains("[2] and [3]"), "{two}");
        let not_list = err(&mut v, "deployments[0][name=x]=1");
        assert!(not_list.contains("not a list"), "{not_list}");
        assert!(apply(&mut v, "deployments[=web].replicas=1").is_err());
    }

    #[test]
    fn rejects_malformed_paths() {
        let mut v: Value = serde_yaml_ng::from_str("a: 1\n").unwrap();
        for bad in [
            "=1", "a.=1", ".a=1", "a[0=1", "a[x]=1", "a[0]b=1", r"a\=1", "a]=1",
        ] {
            assert!(apply(&mut v, bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn splits_at_the_first_unbracketed_equals() {
        assert_eq!(
            split_assignment("d[name=web].replicas=3"),
            Some(("d[name=web].replicas", "3"))
        );
        assert_eq!(split_assignment(r"a\=b=c"), Some((r"a\=b", "c")));
        assert_eq!(split_assignment("x=a=b"), Some(("x", "a=b")));
        assert_eq!(split_assignment("x"), None);
    }
}
