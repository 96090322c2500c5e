//! The pest parser, generated from the grammar at `grammar/tsim.pest`.

/// The generated parser; its `Rule` enum has one variant per grammar rule.
#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/tsim.pest"]
pub struct TsimParser;
