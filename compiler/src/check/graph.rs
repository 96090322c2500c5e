//! The call graph: endpoints are nodes, calls (and publishes to a topic
//! that an endpoint consumes) are edges. A cycle would make a trace
//! infinite, so each one is reported once, showing the loop (a long one by
//! its ends). Without cycles, a chain through more endpoints than the pack
//! allows ([`tsim_pack::MAX_CALL_DEPTH`]) is reported once, at its top,
//! naming the chain. Every walk is iterative (an explicit stack), so a
//! graph of a million endpoints cannot overflow the stack.

use std::collections::BTreeMap;

use super::Checker;
use crate::ast::{Item, Step, StepKind};
use crate::diagnostic::{Diagnostic, Kind};
use crate::source::Span;

type Node = (String, String);

/// How many endpoints of a long cycle or chain a message shows at each end.
const SHOWN: usize = 4;

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    Active,
    Done,
}

/// Endpoints by index, in name order, with their outgoing edges.
#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    index: BTreeMap<Node, usize>,
    /// Node -> its outgoing edges (target, span of the step).
    edges: Vec<Vec<(usize, Span)>>,
}

impl Graph {
    fn intern(&mut self, n: Node) -> usize {
        if let Some(&i) = self.index.get(&n) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(n.clone(), i);
        self.nodes.push(n);
        self.edges.push(Vec::new());
        i
    }

    fn name(&self, i: usize) -> String {
        self.nodes
            .get(i)
            .map_or_else(String::new, |(s, e)| format!("{s} \"{e}\""))
    }

    /// `path` as `a -> b -> ...`, a long one shown by its ends.
    fn describe(&self, path: &[usize]) -> String {
        let mut parts: Vec<String> = Vec::new();
        for (k, &n) in path.iter().enumerate() {
            if path.len() > 2 * SHOWN + 1 && k == SHOWN {
                parts.push(format!("({} more)", path.len() - 2 * SHOWN));
            }
            if path.len() <= 2 * SHOWN + 1 || k < SHOWN || k + SHOWN >= path.len() {
                parts.push(self.name(n));
            }
        }
        parts.join(" -> ")
    }
}

/// The edges of `steps` (through every `parallel`, iteratively).
fn collect(steps: &[Step], consumers: &BTreeMap<Node, Vec<Node>>, out: &mut Vec<(Node, Span)>) {
    let mut todo: Vec<&[Step]> = vec![steps];
    while let Some(list) = todo.pop() {
        for s in list {
            match s {
                Step::Parallel { steps, .. } => todo.push(steps),
                Step::Internal(e) => todo.push(&e.steps),
                Step::Single {
                    kind: StepKind::Call,
                    target,
                    operation,
                    span,
                    ..
                } => {
                    out.push(((target.node.clone(), operation.node.clone()), *span));
                }
                Step::Single {
                    kind: StepKind::Publish,
                    target,
                    operation,
                    span,
                    ..
                } => {
                    for c in consumers
                        .get(&(target.node.clone(), operation.node.clone()))
                        .into_iter()
                        .flatten()
                    {
                        out.push((c.clone(), *span));
                    }
                }
                Step::Single {
                    kind: StepKind::Query,
                    ..
                } => {}
            }
        }
    }
}

fn build(items: &[&Item]) -> Graph {
    let mut consumers: BTreeMap<Node, Vec<Node>> = BTreeMap::new();
    for item in items {
        if let Item::Service(s) = item {
            for e in &s.endpoints {
                for c in &e.consumes {
                    let node = (s.name.node.clone(), e.name.node.clone());
                    consumers
                        .entry((c.queue.node.clone(), c.topic.node.clone()))
                        .or_default()
                        .push(node);
                }
            }
        }
    }
    let mut all: BTreeMap<Node, Vec<(Node, Span)>> = BTreeMap::new();
    for item in items {
        if let Item::Service(s) = item {
            for e in &s.endpoints {
                let mut out = Vec::new();
                collect(&e.steps, &consumers, &mut out);
                all.entry((s.name.node.clone(), e.name.node.clone()))
                    .or_default()
                    .extend(out);
            }
        }
    }
    let mut g = Graph::default();
    for n in all.keys() {
        g.intern(n.clone());
    }
    for (from, out) in all {
        let from = g.intern(from);
        for (to, span) in out {
            let to = g.intern(to);
            if let Some(list) = g.edges.get_mut(from) {
                list.push((to, span));
            }
        }
    }
    g
}

impl Checker<'_> {
    pub(super) fn call_graph(&mut self, items: &[&Item]) {
        let graph = build(items);
        if !self.cycles(&graph) {
            self.chain_depths(&graph);
        }
    }

    /// Reports every cycle once, at the call that closes it. A depth-first
    /// walk with an explicit stack of (node, next edge); true when any
    /// cycle was found.
    fn cycles(&mut self, g: &Graph) -> bool {
        let mut marks = vec![Mark::New; g.nodes.len()];
        let mut found = false;
        let mut path: Vec<(usize, usize)> = Vec::new();
        for start in 0..g.nodes.len() {
            if marks.get(start) != Some(&Mark::New) {
                continue;
            }
            path.push((start, 0));
            if let Some(m) = marks.get_mut(start) {
                *m = Mark::Active;
            }
            while let Some(top) = path.last_mut() {
                let (node, next) = *top;
                let edges = g.edges.get(node).map_or(&[][..], Vec::as_slice);
                let Some(&(to, span)) = edges.get(next) else {
                    if let Some(m) = marks.get_mut(node) {
                        *m = Mark::Done;
                    }
                    path.pop();
                    continue;
                };
                top.1 += 1;
                match marks.get(to).copied() {
                    Some(Mark::New) => {
                        if let Some(m) = marks.get_mut(to) {
                            *m = Mark::Active;
                        }
                        path.push((to, 0));
                    }
                    Some(Mark::Active) => {
                        found = true;
                        let from = path.iter().position(|&(n, _)| n == to).unwrap_or(0);
                        let mut ring: Vec<usize> = path
                            .get(from..)
                            .unwrap_or(&[])
                            .iter()
                            .map(|p| p.0)
                            .collect();
                        ring.push(to);
                        let kind = Kind::CallCycle {
                            cycle: g.describe(&ring),
                        };
                        self.v.diags.push(Diagnostic::error(kind, span));
                    }
                    _ => {}
                }
            }
        }
        found
    }

    /// Reports chains of calls (and publishes to consumers) that pass
    /// through more than the pack's [`tsim_pack::MAX_CALL_DEPTH`]
    /// endpoints, once per chain, at the step of its first endpoint that
    /// leads down the longest chain, naming the chain. The graph has no
    /// cycles here.
    fn chain_depths(&mut self, g: &Graph) {
        let limit = tsim_pack::MAX_CALL_DEPTH;
        let depth = chain_depths(g);
        let deep = |n: usize| depth.get(n).is_some_and(|d| d.0 > limit);
        let mut under_deep = vec![false; g.nodes.len()];
        for (from, edges) in g.edges.iter().enumerate() {
            if deep(from) {
                for &(to, _) in edges {
                    if let Some(u) = under_deep.get_mut(to) {
                        *u = true;
                    }
                }
            }
        }
        for n in 0..g.nodes.len() {
            let Some(&(d, Some((_, span)))) = depth.get(n) else {
                continue;
            };
            if d <= limit || under_deep.get(n).copied().unwrap_or(false) {
                continue;
            }
            let chain = g.describe(&longest_chain(&depth, n));
            let Some((svc, ep)) = g.nodes.get(n) else {
                continue;
            };
            let kind = Kind::TooDeep {
                what: format!("calls from `{svc}` \"{ep}\" ({chain}) go"),
                depth: d,
                unit: "endpoints".into(),
                limit,
                hint: "try shortening the chain: call a deeper endpoint directly, or merge \
                       endpoints that only pass a request on"
                    .into(),
            };
            self.v.diags.push(Diagnostic::error(kind, span));
        }
    }
}

/// The longest chain's length (endpoints, itself included) from every
/// node, and its first edge (target, step). Iterative post-order over an
/// acyclic graph.
fn chain_depths(g: &Graph) -> Vec<(usize, Option<(usize, Span)>)> {
    let mut depth: Vec<(usize, Option<(usize, Span)>)> = vec![(0, None); g.nodes.len()];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for start in 0..g.nodes.len() {
        if depth.get(start).is_some_and(|d| d.0 > 0) {
            continue;
        }
        stack.push((start, 0));
        while let Some(top) = stack.last_mut() {
            let (n, next) = *top;
            let edges = g.edges.get(n).map_or(&[][..], Vec::as_slice);
            if let Some(&(to, _)) = edges.get(next) {
                top.1 += 1;
                if depth.get(to).is_some_and(|d| d.0 == 0) {
                    stack.push((to, 0));
                }
                continue;
            }
            let mut best: (usize, Option<(usize, Span)>) = (1, None);
            for &(to, span) in edges {
                let below = depth.get(to).map_or(1, |d| d.0.max(1));
                if 1 + below > best.0 {
                    best = (1 + below, Some((to, span)));
                }
            }
            if let Some(slot) = depth.get_mut(n) {
                *slot = best;
            }
            stack.pop();
        }
    }
    depth
}

/// The endpoints along the longest chain from `n`.
fn longest_chain(depth: &[(usize, Option<(usize, Span)>)], n: usize) -> Vec<usize> {
    let mut out = vec![n];
    let mut at = n;
    while let Some(&(_, Some((to, _)))) = depth.get(at) {
        if out.len() > depth.len() {
            break;
        }
        out.push(to);
        at = to;
    }
    out
}
