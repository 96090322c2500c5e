//! The call graph: endpoints are nodes, calls (and publishes to a topic
//! that an endpoint consumes) are edges. A cycle would make a trace
//! infinite, so each one is reported once, showing the whole loop.

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
        for n in nodes {
            let mut path = Vec::new();
            self.visit(&graph, &n, &mut marks, &mut path);
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
