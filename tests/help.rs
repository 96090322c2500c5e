//! Every subcommand's `--help` ends with an `Examples:` section, each
//! example runs that subcommand, and its flags and values parse.

mod common;

#[test]
fn every_subcommand_help_has_examples_that_parse() {
    let names = common::subcommands();
    assert!(names.len() >= 12, "{names:?}");
    for name in &names {
        for flag in ["--help", "-h"] {
            let out = common::tsim(&[name, flag]);
            assert_eq!(common::code(&out), 0, "tsim {name} {flag}");
            let help = String::from_utf8_lossy(&out.stdout).into_owned();
            let examples: Vec<&str> = help
                .lines()
                .skip_while(|l| *l != "Examples:")
                .skip(1)
                .take_while(|l| l.starts_with("  "))
                .map(str::trim)
                .collect();
            assert!(
                !examples.is_empty(),
                "tsim {name} {flag}: no Examples:\n{help}"
            );
            for example in examples {
                let words: Vec<&str> = example
                    .split_whitespace()
                    .take_while(|w| !matches!(*w, ">" | "|"))
                    .collect();
                assert_eq!(
                    words.get(..2),
                    Some(&["tsim", name.as_str()][..]),
                    "{example}"
                );
                // The example's flags and values parse: clap reads them
                // all before it answers the trailing --help.
                let mut args: Vec<&str> = words[1..].to_vec();
                args.push("--help");
                let out = common::tsim(&args);
                assert_eq!(
                    common::code(&out),
                    0,
                    "`{example}`: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}
