//! Stage 7, apply (the revision graph): parsing and resolving targets (`head`, `ae10+2`, `billing@head`, `-1`, ...).

use std::collections::BTreeSet;

use super::{GraphError, RevisionGraph};
use crate::script::Phase;

/// Where a target starts, before any `+N` / `-N`.
enum Anchor {
    Base,
    Head,
    Heads,
    Current,
    Rev(usize),
    LabelHead,
    LabelBase,
    LabelCurrent,
}

/// A resolved target.
pub(super) struct Resolved {
    /// The revisions the target names; empty means base (nothing applied).
    pub revs: BTreeSet<usize>,
    /// For a downward relative target (`-N`): where the walk started. A downgrade then only
    /// removes revisions on the way from there, not other branches built on the target.
    pub scope: Option<BTreeSet<usize>>,
    /// For `<label>@base`: the label (a downgrade removes the whole branch; `revs` holds its
    /// first revisions for an upgrade).
    pub branch_base: Option<String>,
}

impl RevisionGraph {
    /// The revisions `target` names, given the `current` version-table rows (needed for
    /// `current` and relative targets); empty for `base`.
    ///
    /// Targets: `head` (the single head), `heads`, `base`, `current`, a revision id or any
    /// unique prefix of one, `<label>@head`, `<label>@base` (the first revisions of that
    /// branch), `<label>@<rev>`, and relative forms: `+N` / `-N` from the current heads,
    /// `<rev>+N` / `<rev>-N`, `head-N`, `<label>@+N` / `<label>@-N` from the current head of
    /// that branch; `expand@head` / `contract@head`, the newest revision with that `phase` up
    /// to the head. Walking up needs exactly one child at each step (use a label to pick a
    /// branch); walking down through a merge point continues on all its parents.
    pub fn resolve<S: AsRef<str>>(
        &self,
        current: &[S],
        target: &str,
    ) -> Result<Vec<String>, GraphError> {
        let applied = self.ancestors(&self.current_rows(current)?, true);
        let r = self.resolve_target(&applied, target)?;
        Ok(self.id_list(r.revs))
    }

    /// All revisions carrying `label`.
    pub(super) fn label_nodes(&self, label: &str) -> BTreeSet<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].labels.contains(label))
            .collect()
    }

    /// The first revisions of a labelled branch: labelled, with no labelled parent.
    pub(super) fn label_firsts(&self, label: &str) -> BTreeSet<usize> {
        self.label_nodes(label)
            .into_iter()
            .filter(|&i| {
                !self.nodes[i]
                    .parents
                    .iter()
                    .any(|&p| self.nodes[p].labels.contains(label))
            })
            .collect()
    }

    /// `expand@head` / `contract@head`: the newest revision of that phase on the way to the
    /// head (one with no revision of that phase built on it among the head's ancestors).
    fn resolve_phase(
        &self,
        label: &str,
        rest: &str,
        invalid: &dyn Fn(&str) -> GraphError,
    ) -> Result<Resolved, GraphError> {
        let phase = Phase::from_label(label);
        if rest != "head" {
            return Err(invalid(&format!(
                "only `{label}@head` is a phase target (the newest revision with `phase = \
                 \"{label}\"` up to the head)"
            )));
        }
        let heads: BTreeSet<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].children.is_empty())
            .collect();
        if heads.len() > 1 {
            return Err(GraphError::MultipleHeads {
                heads: self.id_list(heads),
                context: String::new(),
            });
        }
        let upto = self.ancestors(&heads, true);
        let of_phase: BTreeSet<usize> = upto
            .iter()
            .copied()
            .filter(|&i| self.nodes[i].script.header.phase == phase)
            .collect();
        if of_phase.is_empty() {
            return Err(invalid(&format!(
                "no revision up to the head has `phase = \"{label}\"`; `migrate -m MESSAGE \
                 --expand-contract` writes expand and contract revisions"
            )));
        }
        let newest: BTreeSet<usize> = of_phase
            .iter()
            .copied()
            .filter(|&i| {
                self.descendants(&[i].into(), false, false)
                    .iter()
                    .all(|d| !of_phase.contains(d))
            })
            .collect();
        if newest.len() > 1 {
            return Err(GraphError::MultipleHeads {
                heads: self.id_list(newest),
                context: format!(" among the `{label}` revisions"),
            });
        }
        Ok(Resolved {
            revs: newest,
            scope: None,
            branch_base: None,
        })
    }

    pub(super) fn resolve_target(
        &self,
        applied: &BTreeSet<usize>,
        target: &str,
    ) -> Result<Resolved, GraphError> {
        let t = target.trim();
        let invalid = |why: &str| GraphError::InvalidTarget {
            target: t.to_string(),
            why: why.to_string(),
        };
        if t.is_empty() {
            return Err(invalid(
                "it is empty; use `head`, `base`, a revision id, ...",
            ));
        }
        let (label, rest) = match t.split_once('@') {
            Some((l, r)) if Phase::from_label(l).is_some() => {
                return self.resolve_phase(l, r, &invalid);
            }
            Some((l, r)) => {
                if !self.declared.contains_key(l) {
                    return Err(GraphError::UnknownBranchLabel {
                        label: l.to_string(),
                        known: self.declared.keys().cloned().collect(),
                    });
                }
                (Some(l), r)
            }
            None => (None, t),
        };
        let (core, delta) = split_delta(rest).map_err(|why| invalid(&why))?;
        let anchor = match (label, core) {
            (None, "") | (None, "current") => Anchor::Current,
            (None, "head") => Anchor::Head,
            (None, "heads") => Anchor::Heads,
            (None, "base") => Anchor::Base,
            (None, name) => Anchor::Rev(self.lookup(name)?),
            (Some(_), "") if delta != 0 => Anchor::LabelCurrent,
            (Some(_), "") => {
                return Err(invalid(
                    "expected `head`, `base`, `+N`, `-N` or a revision after `@`",
                ))
            }
            (Some(_), "head") => Anchor::LabelHead,
            (Some(_), "base") => Anchor::LabelBase,
            (Some(_), "current") => Anchor::LabelCurrent,
            (Some(l), name) => {
                let r = self.lookup(name)?;
                if !self.nodes[r].labels.contains(l) {
                    return Err(invalid(&format!(
                        "revision `{}` is not on branch `{l}`",
                        self.id(r)
                    )));
                }
                Anchor::Rev(r)
            }
        };
        let label_set = label.map(|l| self.label_nodes(l));
        let on_label = |set: BTreeSet<usize>| match &label_set {
            Some(ls) => set.intersection(ls).copied().collect(),
            None => set,
        };
        let all_heads: BTreeSet<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].children.is_empty())
            .collect();
        let context = label.map_or(String::new(), |l| format!(" on branch `{l}`"));
        let one = |set: BTreeSet<usize>, context: String| {
            if set.len() > 1 {
                Err(GraphError::MultipleHeads {
                    heads: self.id_list(set),
                    context,
                })
            } else {
                Ok(set)
            }
        };
        let start: BTreeSet<usize> = match anchor {
            Anchor::Base => BTreeSet::new(),
            Anchor::Head => one(all_heads, String::new())?,
            Anchor::Heads => all_heads,
            Anchor::Current => self.heads_of(applied),
            Anchor::Rev(r) => [r].into(),
            Anchor::LabelHead => one(on_label(all_heads), context.clone())?,
            Anchor::LabelBase => {
                if delta != 0 {
                    return Err(invalid(
                        "relative steps from `<label>@base` are not supported; use `<label>@+N`",
                    ));
                }
                let l = label.unwrap_or_default();
                return Ok(Resolved {
                    revs: self.label_firsts(l),
                    scope: None,
                    branch_base: Some(l.to_string()),
                });
            }
            Anchor::LabelCurrent => {
                let here = on_label(self.heads_of(applied));
                if here.is_empty() && delta > 0 {
                    // Nothing of the branch is applied: start just below its first revision.
                    let l = label.unwrap_or_default();
                    let below: BTreeSet<usize> = self
                        .label_firsts(l)
                        .iter()
                        .flat_map(|&f| self.nodes[f].parents.clone())
                        .collect();
                    return self.walk(t, below, delta, label_set.as_ref());
                }
                here
            }
        };
        if delta == 0 {
            return Ok(Resolved {
                revs: start,
                scope: None,
                branch_base: None,
            });
        }
        let context = match anchor {
            Anchor::Current | Anchor::LabelCurrent => format!("{context} in the database"),
            _ => context,
        };
        let start = one(start, context)?;
        self.walk(t, start, delta, label_set.as_ref())
    }

    /// Walks `delta` steps up (children, restricted to `label` when given) or down (parents)
    /// from `start` (empty: base).
    fn walk(
        &self,
        target: &str,
        start: BTreeSet<usize>,
        delta: i64,
        label: Option<&BTreeSet<usize>>,
    ) -> Result<Resolved, GraphError> {
        let mut at = start.clone();
        let describe = |g: &Self, at: &BTreeSet<usize>| {
            if at.is_empty() {
                "base".to_string()
            } else {
                let ids: Vec<String> = g.id_list(at.iter().copied());
                format!("revision `{}`", ids.join("`, `"))
            }
        };
        for step in 0..delta.unsigned_abs() {
            if delta > 0 {
                let mut next: BTreeSet<usize> = if at.is_empty() {
                    (0..self.nodes.len())
                        .filter(|&i| self.nodes[i].parents.is_empty())
                        .collect()
                } else {
                    at.iter()
                        .flat_map(|&i| self.nodes[i].children.clone())
                        .collect()
                };
                if let Some(ls) = label {
                    next.retain(|i| ls.contains(i));
                }
                match next.len() {
                    1 => at = next,
                    0 => {
                        return Err(GraphError::WalkTooFar {
                            target: target.to_string(),
                            why: format!(
                                "after {step} step(s) up, {} has nothing above it",
                                describe(self, &at)
                            ),
                        })
                    }
                    _ => {
                        return Err(GraphError::AmbiguousWalk {
                            target: target.to_string(),
                            from: describe(self, &at),
                            candidates: self.id_list(next),
                        })
                    }
                }
            } else {
                if at.is_empty() {
                    return Err(GraphError::WalkTooFar {
                        target: target.to_string(),
                        why: format!("base is reached after {step} step(s) down"),
                    });
                }
                at = at
                    .iter()
                    .flat_map(|&i| self.nodes[i].parents.clone())
                    .collect();
            }
        }
        Ok(Resolved {
            revs: at,
            scope: (delta < 0).then_some(start),
            branch_base: None,
        })
    }
}

/// Splits `ae10+2` into (`ae10`, 2) and `-1` into (``, -1).
fn split_delta(s: &str) -> Result<(&str, i64), String> {
    let Some(i) = s.rfind(['+', '-']) else {
        return Ok((s, 0));
    };
    let digits = &s[i + 1..];
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "expected a number of steps after `{}`",
            &s[i..i + 1]
        ));
    }
    let n: i64 = digits
        .parse()
        .map_err(|_| format!("`{digits}` is too many steps"))?;
    Ok((&s[..i], if s[i..].starts_with('-') { -n } else { n }))
}
