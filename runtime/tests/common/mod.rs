//! Helpers shared by the runtime's integration tests.

use tsim_compiler::{check_source, compile, Options};
use tsim_pack::{decode, Pack};

/// Checks, compiles and decodes a scenario given as source text; panics
/// with the diagnostics when it does not check.
pub fn pack(src: &str) -> Pack {
    let out = check_source("test.tsim", src, &Options::default());
    assert!(
        out.diagnostics.is_empty(),
        "{:?}",
        out.diagnostics
            .iter()
            .map(|d| d.kind.message())
            .collect::<Vec<_>>()
    );
    decode(&compile(&out.model.expect("checks")).expect("compiles")).expect("decodes")
}
