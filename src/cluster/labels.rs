//! Labels, taints and tolerations, with strings interned to small ids for fast matching.

use std::collections::HashMap;

/// An interned string (label key or value, taint key or value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol(pub u32);

/// Interns strings so that hot paths compare integers, not text.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<String, Symbol>,
    names: Vec<String>,
}

impl Interner {
    /// Returns the id of `text`, adding it if new.
    pub fn intern(&mut self, text: &str) -> Symbol {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = Symbol(self.names.len() as u32);
        self.names.push(text.to_owned());
        self.ids.insert(text.to_owned(), id);
        id
    }

    /// The id of `text` if it was interned.
    pub fn get(&self, text: &str) -> Option<Symbol> {
        self.ids.get(text).copied()
    }

    /// The text of an interned id.
    pub fn resolve(&self, id: Symbol) -> &str {
        &self.names[id.0 as usize]
    }
}

/// A set of labels, sorted by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(Vec<(Symbol, Symbol)>);

impl Labels {
    /// Builds a label set; a later duplicate key replaces an earlier one.
    pub fn new(mut pairs: Vec<(Symbol, Symbol)>) -> Labels {
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = later.1;
                true
            } else {
                false
            }
        });
        Labels(pairs)
    }

    /// The value of label `key`, if present.
    pub fn get(&self, key: Symbol) -> Option<Symbol> {
        self.0
            .binary_search_by_key(&key, |p| p.0)
            .ok()
            .map(|i| self.0[i].1)
    }

    /// The (key, value) pairs, sorted by key id.
    pub fn pairs(&self) -> &[(Symbol, Symbol)] {
        &self.0
    }
}

/// The effect of a taint (`NoSchedule`, `PreferNoSchedule`, `NoExecute`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaintEffect {
    /// New pods that do not tolerate the taint are not scheduled on the node.
    NoSchedule,
    /// The scheduler avoids the node for pods that do not tolerate the taint.
    PreferNoSchedule,
    /// Like NoSchedule, and running pods that do not tolerate it are evicted.
    NoExecute,
}

/// A node taint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taint {
    /// Taint key.
    pub key: Symbol,
    /// Taint value (may be the interned empty string).
    pub value: Symbol,
    /// Taint effect.
    pub effect: TaintEffect,
}

/// How a toleration matches a taint's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TolerationOperator {
    /// The toleration matches any value of the key (or any key when the key is empty).
    Exists,
    /// The toleration matches only an equal value.
    Equal,
}

/// A pod toleration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Toleration {
    /// Key to match; `None` (empty key with `Exists`) matches every taint.
    pub key: Option<Symbol>,
    /// Match operator.
    pub operator: TolerationOperator,
    /// Value to match with `Equal`.
    pub value: Symbol,
    /// Effect to match; `None` matches all effects.
    pub effect: Option<TaintEffect>,
    /// For NoExecute taints: how long the pod stays bound after the taint appears [ms];
    /// `None` means forever.
    pub toleration_ms: Option<u64>,
}

impl Toleration {
    /// Whether this toleration tolerates `taint` (`ToleratesTaint` in
    /// k8s.io/api/core/v1/toleration.go: effect, key, then operator).
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if let Some(effect) = self.effect
            && effect != taint.effect
        {
            return false;
        }
        match self.key {
            None => self.operator == TolerationOperator::Exists,
            Some(key) if key != taint.key => false,
            Some(_) => match self.operator {
                TolerationOperator::Exists => true,
                TolerationOperator::Equal => self.value == taint.value,
            },
        }
    }
}

/// Whether any of `tolerations` tolerates `taint`.
pub fn tolerated(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| t.tolerates(taint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toleration_matching_follows_upstream() {
        let mut i = Interner::default();
        let (k, v, other, empty) = (
            i.intern("gpu"),
            i.intern("true"),
            i.intern("x"),
            i.intern(""),
        );
        let taint = Taint {
            key: k,
            value: v,
            effect: TaintEffect::NoSchedule,
        };
        let eq = Toleration {
            key: Some(k),
            operator: TolerationOperator::Equal,
            value: v,
            effect: None,
            toleration_ms: None,
        };
        assert!(eq.tolerates(&taint));
        assert!(!Toleration { value: other, ..eq }.tolerates(&taint));
        assert!(
            Toleration {
                operator: TolerationOperator::Exists,
                value: empty,
                ..eq
            }
            .tolerates(&taint)
        );
        assert!(
            !Toleration {
                effect: Some(TaintEffect::NoExecute),
                ..eq
            }
            .tolerates(&taint)
        );
        let all = Toleration {
            key: None,
            operator: TolerationOperator::Exists,
            ..eq
        };
        assert!(all.tolerates(&taint));
    }

    #[test]
    fn labels_lookup_and_dedup() {
        let mut i = Interner::default();
        let (a, b, x, y) = (i.intern("a"), i.intern("b"), i.intern("x"), i.intern("y"));
        let l = Labels::new(vec![(b, x), (a, x), (b, y)]);
        assert_eq!(l.get(a), Some(x));
        assert_eq!(l.get(b), Some(y));
        assert_eq!(l.pairs().len(), 2);
    }
}
