//! `tsim completions`: every shell gets a script; bash's is valid bash and
//! completes every subcommand `tsim --help` lists.

mod common;

#[test]
fn bash_completions_name_every_subcommand_and_parse_as_bash() {
    let names = common::subcommands();
    for expected in ["check", "run", "fmt", "new", "completions", "fixtures"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let out = common::tsim(&["completions", "bash"]);
    assert_eq!(common::code(&out), 0);
    let script = String::from_utf8_lossy(&out.stdout).into_owned();
    for name in &names {
        assert!(
            script.contains(&format!("tsim,{name})")),
            "bash completes `{name}`"
        );
    }
    // Flags and value choices are there too.
    assert!(script.contains("--template"), "tsim new --template");
    assert!(
        script.contains("web load metrics incident"),
        "the templates"
    );
    let path = std::env::temp_dir().join(format!("tsim-completions-{}.bash", std::process::id()));
    std::fs::write(&path, &script).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash runs");
    let _ = std::fs::remove_file(&path);
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_a_usage_error() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = common::tsim(&["completions", shell]);
        assert_eq!(common::code(&out), 0, "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("completions") && script.contains("fmt"),
            "{shell}: {script}"
        );
    }
    let out = common::tsim(&["completions", "tcsh"]);
    assert_eq!(common::code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values: bash"));
}
