//! The call graph: endpoints are nodes, calls (and publishes to a topic
//! that an endpoint consumes) are edges. A cycle would make a trace
//! infinite, so each one is reported once, showing the whole loop. Without
//! cycles, a chain through more endpoints than the pack allows
//! ([`tsim_pack::MAX_CALL_DEPTH`]) is reported once, at its top.

use std::collections::BTreeMap;

use super::Checker;
use crate::ast::{Item, Step, StepKind};
use crate::diagnostic::{Diagnostic, Kind};
use crate::source::Span;

type Node = (String, String);

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Active,
    Done,
}

struct Graph {
    /// Node -> its outgoing edges (target, span of the step).
    edges: BTreeMap<Node, Vec<(Node, Span)>>,
}

fn collect(steps: &[Step], consumers: &BTreeMap<Node, Vec<Node>>, out: &mut Vec<(Node, Span)>) {
    for s in steps {
        match s {
            Step::Parallel { steps, .. } => collect(steps, consumers, out),
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

impl Checker<'_> {
    pub(super) fn call_graph(&mut self, items: &[&Item]) {
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
        let mut graph = Graph {
            edges: BTreeMap::new(),
        };
        for item in items {
            if let Item::Service(s) = item {
                for e in &s.endpoints {
                    let mut out = Vec::new();
                    collect(&e.steps, &consumers, &mut out);
                    graph
                        .edges
                        .entry((s.name.node.clone(), e.name.node.clone()))
                        .or_default()
                        .extend(out);
                }
            }
        }
        let mut marks: BTreeMap<Node, Mark> = BTreeMap::new();
        let nodes: Vec<Node> = graph.edges.keys().cloned().collect();
        let before = self.v.diags.len();
        for n in &nodes {
            let mut path = Vec::new();
            self.visit(&graph, n, &mut marks, &mut path);
        }
        if self.v.diags.len() == before {
            self.chain_depths(&graph, &nodes);
        }
    }

    /// Reports chains of calls (and publishes to consumers) that pass
    /// through more than the pack's [`tsim_pack::MAX_CALL_DEPTH`]
    /// endpoints, once per chain, at the step of its first endpoint that
    /// leads down the longest chain. The graph has no cycles here.
    fn chain_depths(&mut self, g: &Graph, nodes: &[Node]) {
        let limit = tsim_pack::MAX_CALL_DEPTH;
        let mut depth: BTreeMap<Node, (usize, Option<Span>)> = BTreeMap::new();
        for n in nodes {
            chain_depth(g, n, &mut depth);
        }
        let deep = |n: &Node| depth.get(n).is_some_and(|d| d.0 > limit);
        let mut under_deep: BTreeMap<&Node, ()> = BTreeMap::new();
        for (from, edges) in &g.edges {
            if deep(from) {
                for (to, _) in edges {
                    under_deep.insert(to, ());
                }
            }
        }
        for n in nodes {
            let Some(&(d, Some(span))) = depth.get(n) else {
                continue;
            };
            if d <= limit || under_deep.contains_key(n) {
                continue;
            }
            let kind = Kind::TooDeep {
                what: format!("calls from `{}` \"{}\" go", n.0, n.1),
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

    fn visit(
        &mut self,
        g: &Graph,
        node: &Node,
        marks: &mut BTreeMap<Node, Mark>,
        path: &mut Vec<Node>,
    ) {
        if marks.contains_key(node) {
            return;
        }
        marks.insert(node.clone(), Mark::Active);
        path.push(node.clone());
        for (next, span) in g.edges.get(node).into_iter().flatten() {
            match marks.get(next) {
                Some(Mark::Active) => {
                    let start = path.iter().position(|p| p == next).unwrap_or(0);
                    let mut names: Vec<String> = path[start..]
                        .iter()
                        .map(|(s, e)| format!("{s} \"{e}\""))
                        .collect();
                    names.push(format!("{} \"{}\"", next.0, next.1));
                    self.v.diags.push(Diagnostic::error(
                        Kind::CallCycle {
                            cycle: names.join(" -> "),
                        },
                        *span,
                    ));
                }
                Some(Mark::Done) => {}
                None => self.visit(g, next, marks, path),
            }
        }
        path.pop();
        marks.insert(node.clone(), Mark::Done);
    }
}

/// The endpoints along the longest chain from `node` (itself included), and
/// the step that starts it; memoised in `depth`. Iterative, so a long
/// chain cannot overflow the stack; `g` must have no cycles.
fn chain_depth(g: &Graph, node: &Node, depth: &mut BTreeMap<Node, (usize, Option<Span>)>) {
    let mut stack: Vec<(Node, usize)> = vec![(node.clone(), 0)];
    while let Some((n, next)) = stack.pop() {
        if depth.contains_key(&n) {
            continue;
        }
        let edges = g.edges.get(&n).map_or(&[][..], Vec::as_slice);
        match edges.get(next) {
            Some((to, _)) => {
                let known = depth.contains_key(to) || !g.edges.contains_key(to);
                stack.push((n.clone(), next + 1));
                if !known {
                    stack.push((to.clone(), 0));
                }
            }
            None => {
                let mut best: (usize, Option<Span>) = (1, None);
                for (to, span) in edges {
                    let below = depth.get(to).map_or(1, |d| d.0);
                    if 1 + below > best.0 {
                        best = (1 + below, Some(*span));
                    }
                }
                depth.insert(n, best);
            }
        }
    }
}
