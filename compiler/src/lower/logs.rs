//! Log templates: for each standalone stream, `variants` pre-sampled records
//! (severity by weight, a message template with its `{attribute}`
//! placeholders filled from the record's own sampled attributes); for the
//! span-derived rules, a few variants whose placeholders the runtime fills
//! from the span.

use tsim_pack::{severity_number, LogStream, LogTemplate, SpanLogRule, NONE};

use super::sample::{self, Sampled};
use super::{resource_index, Builder};
use crate::model::{Generator, Model};

/// Variants kept per span-log rule.
const SPAN_RULE_VARIANTS: usize = 16;

fn text(rng: &mut rand_pcg::Pcg64, g: &Generator) -> String {
    sample::generate(rng, g, &|_| None).map_or_else(String::new, |v| v.text())
}

/// Fills `{name}` placeholders from `attrs`, leaving unknown ones as written.
fn fill(template: &str, attrs: &[(String, Sampled)]) -> String {
    let mut out = String::with_capacity(template.len());
    tsim_pack::template::fill_placeholders(template, &mut out, |name, out| {
        match attrs.iter().find(|(k, _)| k == name) {
            Some((_, v)) => {
                out.push_str(&v.text());
                true
            }
            None => false,
        }
    });
    out
}

/// Lowers log streams and span rules.
pub fn lower(b: &mut Builder, model: &Model) {
    let seed = model.settings.seed;
    for s in &model.log_streams {
        let mut rng = sample::rng(seed, &["logs", &s.name]);
        let mut templates = Vec::with_capacity(s.variants as usize);
        for _ in 0..s.variants {
            let level = text(&mut rng, &s.level);
            let mut attrs: Vec<(String, Sampled)> = Vec::new();
            for a in &s.attributes {
                let lookup = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.text());
                if let Some(v) = sample::generate(&mut rng, &a.value, &lookup) {
                    attrs.push((a.key.clone(), v));
                }
            }
            let body = fill(&text(&mut rng, &s.message), &attrs);
            templates.push(LogTemplate {
                severity: severity_number(&level),
                level: b.str(&level),
                body: b.str(&body),
                attrs: b.set(&attrs),
            });
        }
        let resource = s
            .service
            .as_deref()
            .and_then(|n| resource_index(model, n))
            .unwrap_or(NONE);
        let name = b.str(&s.name);
        b.pack.logs.streams.push(LogStream {
            name,
            resource,
            rate: s.rate,
            templates,
        });
    }
    for r in &model.span_logs {
        let mut rng = sample::rng(seed, &["span-logs", &r.kind]);
        let mut templates = Vec::new();
        for _ in 0..SPAN_RULE_VARIANTS {
            let level = text(&mut rng, &r.level);
            let body = text(&mut rng, &r.message);
            let mut attrs: Vec<(String, Sampled)> = Vec::new();
            for a in &r.attributes {
                if let Some(v) = sample::generate(&mut rng, &a.value, &|_| None) {
                    attrs.push((a.key.clone(), v));
                }
            }
            let t = LogTemplate {
                severity: severity_number(&level),
                level: b.str(&level),
                body: b.str(&body),
                attrs: b.set(&attrs),
            };
            if !templates.contains(&t) {
                templates.push(t);
            }
        }
        b.pack.logs.span_rules.push(SpanLogRule {
            errors_only: r.kind == "errors",
            templates,
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fills_known_placeholders_and_keeps_unknown_ones() {
        let attrs = vec![("job.id".to_string(), super::Sampled::Str("job-7".into()))];
        assert_eq!(
            super::fill("job {job.id} took {ms}ms", &attrs),
            "job job-7 took {ms}ms"
        );
    }
}
