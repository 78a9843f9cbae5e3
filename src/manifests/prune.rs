//! A fast textual pre-pass over block-style YAML (the shape `kubectl get -o yaml` writes):
//! the values of a few bulky keys that never affect placement (`managedFields`, node
//! `images`, `conditions`, `nodeInfo`, container `env`, probes, ...) are blanked before the
//! YAML parser sees them, because parsing dominates the load time of large dumps. The key line
//! stays (its value becomes null, so the key is still reported as ignored with its path) and
//! blanked lines stay as empty lines, so every line number is unchanged.
//!
//! Only a key alone on its line (`  images:`) followed by a block (deeper lines, or `- ` items
//! at the key's indentation) is pruned; block scalars (`|`, `>`) are never looked into.

/// Keys whose block values are blanked.
const BULKY: &[&str] = &[
    "managedFields",
    "images",
    "conditions",
    "nodeInfo",
    "addresses",
    "daemonEndpoints",
    "volumesAttached",
    "volumesInUse",
    "env",
    "envFrom",
    "ports",
    "volumeMounts",
    "volumes",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "securityContext",
    "command",
    "args",
    "containerStatuses",
    "initContainerStatuses",
];

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The key of a line `<indent>[- ]key:` with nothing after the colon, if it is bulky.
fn bulky_key(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    let t = t.strip_prefix("- ").unwrap_or(t).trim_end();
    t.strip_suffix(':').is_some_and(|k| BULKY.contains(&k))
}

/// Whether the line's value opens a block scalar (`key: |`, `- >-`, `|2`, ...).
fn opens_block_scalar(line: &str) -> bool {
    let t = line.trim_end();
    let tok = t.rsplit(' ').next().unwrap_or(t);
    let is_indicator = tok.starts_with(['|', '>'])
        && tok[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+');
    let before = t[..t.len() - tok.len()].trim_end();
    is_indicator && (before.is_empty() || before.ends_with(':') || before.ends_with('-'))
}

/// The text with the bulky blocks blanked; `None` when nothing was pruned.
pub fn prune(text: &str) -> Option<String> {
    if !BULKY.iter().any(|k| text.contains(k)) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    // While Some(i): skipping a pruned block whose key starts at column i.
    let mut pruning: Option<usize> = None;
    // While Some(i): inside a block scalar opened at indentation i.
    let mut scalar: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let blank = body.trim().is_empty();
        let ind = indent(body);
        if let Some(s) = scalar {
            if blank || ind > s {
                out.push_str(line);
                continue;
            }
            scalar = None;
        }
        if let Some(k) = pruning {
            // kubectl writes a key's list items at the key's own column.
            let same_level_item = ind == k && body[ind..].starts_with("- ");
            if blank || ind > k || same_level_item {
                if line.ends_with('\n') {
                    out.push('\n');
                }
                changed = true;
                continue;
            }
            pruning = None;
        }
        if !blank && bulky_key(body) {
            // `- key:`: the key starts after the dash.
            let list_item = body[ind..].starts_with("- ");
            pruning = Some(if list_item { ind + 2 } else { ind });
        } else if !blank && opens_block_scalar(body) {
            scalar = Some(ind);
        }
        out.push_str(line);
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::prune;

    #[test]
    fn blanks_bulky_blocks_and_keeps_lines() {
        let t = "a:\n  managedFields:\n  - x: 1\n    y: 2\n  name: n\nimages:\n  - z\nb: 1\n";
        assert_eq!(
            prune(t).unwrap(),
            "a:\n  managedFields:\n\n\n  name: n\nimages:\n\nb: 1\n"
        );
    }

    #[test]
    fn leaves_inline_values_and_block_scalars_alone() {
        let t = "env: [{name: a}]\nnote: |\n  images:\n    - not a key\nc: 1\n";
        assert_eq!(prune(t), None);
        let t = "note: |-\n  ports:\n    80\nports:\n- 80\n";
        assert_eq!(prune(t).unwrap(), "note: |-\n  ports:\n    80\nports:\n\n");
    }

    #[test]
    fn a_dash_key_prunes_its_deeper_block_only() {
        let t = "items:\n- env:\n    - a\n  name: x\n- name: y\n";
        assert_eq!(
            prune(t).unwrap(),
            "items:\n- env:\n\n  name: x\n- name: y\n"
        );
    }
}
