//! Safe output end to end: a DIR holding foreign files or symlinks is
//! refused unless `--force` (which replaces only tsim's files, and replaces
//! symlinks rather than writing through them); `compile` never overwrites
//! its source; a failed write leaves no temporary and no new file, and the
//! previous files as they were.

mod common;

use common::{code, tsim};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HELLO: &str = "examples/hello.tsim";
const NDJSON: [&str; 5] = [
    "metrics.ndjson",
    "logs.ndjson",
    "traces.ndjson",
    "events.ndjson",
    "answer_key.json",
];

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh, unique directory (created) under the system temp dir.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str) -> Temp {
        let d = std::env::temp_dir().join(format!("tsim-outputs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("a temp dir");
        Temp(d)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn run_hello(dir: &Path, extra: &[&str]) -> Output {
    let to = format!("ndjson:{}", dir.display());
    let mut args = vec!["run", HELLO, "--to", &to, "--duration", "1m"];
    args.extend(extra);
    tsim(&args)
}

#[test]
fn a_dir_with_foreign_files_is_refused_and_left_untouched() {
    let t = Temp::new("foreign");
    let dir = t.0.join("out");
    std::fs::create_dir(&dir).expect("a dir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("written");
    std::fs::write(dir.join("logs.ndjson"), "old").expect("written");
    for to in ["ndjson", "otlp-json"] {
        let out = tsim(&[
            "run",
            HELLO,
            "--to",
            &format!("{to}:{}", dir.display()),
            "--duration",
            "1m",
        ]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&dir.display().to_string()) && err.contains("--force"),
            "{err}"
        );
    }
    assert_eq!(names(&dir), ["logs.ndjson", "notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("logs.ndjson")).unwrap(),
        "old"
    );

    // --force replaces tsim's files and leaves the foreign one alone.
    let out = run_hello(&dir, &["--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut want: Vec<&str> = NDJSON.to_vec();
    want.push("notes.txt");
    want.sort();
    assert_eq!(names(&dir), want);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_ne!(
        std::fs::read_to_string(dir.join("logs.ndjson")).unwrap(),
        "old"
    );

    // A DIR holding only tsim's files is replaced without --force.
    let only = t.0.join("only");
    assert_eq!(code(&run_hello(&only, &[])), 0);
    let out = run_hello(&only, &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(names(&only), {
        let mut v = NDJSON.to_vec();
        v.sort();
        v
    });
}

#[cfg(unix)]
#[test]
fn symlinks_are_refused_and_with_force_replaced_not_followed() {
    let t = Temp::new("symlink");
    let target = t.0.join("precious.txt");
    std::fs::write(&target, "do not truncate").expect("written");
    let dir = t.0.join("out");
    std::fs::create_dir(&dir).expect("a dir");
    std::os::unix::fs::symlink(&target, dir.join("logs.ndjson")).expect("a link");

    let out = run_hello(&dir, &[]);
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(
        err.contains("logs.ndjson is a symlink") && err.contains("--force"),
        "{err}"
    );

    let out = run_hello(&dir, &["--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "do not truncate");
    let meta = std::fs::symlink_metadata(dir.join("logs.ndjson")).expect("exists");
    assert!(meta.file_type().is_file(), "logs.ndjson is still a link");

    // A DIR that is itself a symlink needs --force.
    let link = t.0.join("link");
    std::os::unix::fs::symlink(&dir, &link).expect("a link");
    let out = run_hello(&link, &[]);
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("is a symlink"), "{}", stderr(&out));
}

#[test]
fn compile_never_overwrites_its_source() {
    let t = Temp::new("compile");
    let src = t.0.join("x.tsim");
    std::fs::copy(HELLO, &src).expect("copied");
    let before = std::fs::read(&src).unwrap();
    let s = src.to_string_lossy().into_owned();
    let dotted = t.0.join(".").join("x.tsim").to_string_lossy().into_owned();
    for output in [&s, &dotted] {
        let out = tsim(&["compile", &s, "-o", output]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        assert!(
            stderr(&out).contains("is the scenario's source"),
            "{}",
            stderr(&out)
        );
        assert_eq!(std::fs::read(&src).unwrap(), before);
    }
    // An import is a source too.
    let out = tsim(&[
        "compile",
        "scenarios/triage/outage.tsim",
        "-o",
        "scenarios/lib/triage.tsim",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    // A pack is written whole, replacing an older one, with no temporary left.
    let pack = t.0.join("x.pack");
    std::fs::write(&pack, "old").unwrap();
    let out = tsim(&["compile", &s, "-o", &pack.to_string_lossy()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(names(&t.0), ["x.pack", "x.tsim"]);
    assert_eq!(&std::fs::read(&pack).unwrap()[..8], tsim_pack::MAGIC);
}

#[test]
fn fixtures_replace_their_own_tree_and_refuse_foreign_files() {
    let t = Temp::new("fixtures");
    let from = t.0.join("from");
    std::fs::create_dir(&from).unwrap();
    std::fs::copy(HELLO, from.join("hello.tsim")).unwrap();
    let out_dir = t.0.join("tree");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "fixtures".to_string(),
            "--from".into(),
            from.to_string_lossy().into_owned(),
            "--out".into(),
            out_dir.to_string_lossy().into_owned(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&'static str]| {
        let a = args(extra);
        tsim(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    for _ in 0..2 {
        let out = run(&[]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("written under"));
    }
    let leaf = out_dir.join("normal/hello");
    assert_eq!(names(&leaf).len(), NDJSON.len());
    std::fs::write(out_dir.join("normal/README"), "mine").unwrap();
    let out = run(&[]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("README was not written by tsim"),
        "{}",
        stderr(&out)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("written under"));
    let out = run(&["--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(out_dir.join("normal/README")).unwrap(),
        "mine"
    );
}

/// Runs tsim under `sh` with a file-size limit (which binds root too):
/// writes past it fail with EFBIG, like a full disk.
#[cfg(unix)]
fn tsim_limited(args: &[&str]) -> Option<Output> {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "trap '' XFSZ; ulimit -f 1 || exit 99; exec '{}' {}",
        env!("CARGO_BIN_EXE_tsim"),
        quoted.join(" ")
    );
    let out = Command::new("sh").arg("-c").arg(script).output().ok()?;
    (code(&out) != 99).then_some(out)
}

#[cfg(unix)]
#[test]
fn a_failed_write_leaves_no_temporary_and_the_old_files() {
    let t = Temp::new("full");
    // A failed first run leaves nothing.
    let fresh = t.0.join("fresh");
    let to = format!("ndjson:{}", fresh.display());
    let Some(out) = tsim_limited(&["run", HELLO, "--to", &to, "--duration", "1m"]) else {
        eprintln!("skipped: no sh with ulimit");
        return;
    };
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    let line = err.lines().last().unwrap_or_default();
    assert!(
        line.starts_with("error: cannot write ") && line.contains("os error"),
        "{err}"
    );
    assert!(names(&fresh).is_empty(), "left: {:?}", names(&fresh));

    // A failed later run leaves the earlier run's files (answer key
    // included) byte for byte, and no temporaries.
    let dir = t.0.join("old");
    let to = format!("ndjson:{}", dir.display());
    let out = tsim(&["run", HELLO, "--to", &to, "--duration", "30s"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let before: Vec<Vec<u8>> = NDJSON
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    let out = tsim_limited(&["run", HELLO, "--to", &to, "--duration", "2m"]).expect("ran");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let after: Vec<Vec<u8>> = NDJSON
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    assert!(before == after, "the earlier files changed");
    assert_eq!(names(&dir).len(), NDJSON.len(), "{:?}", names(&dir));

    // `fixtures` on a "full disk" fails and does not claim it wrote a tree.
    let from = t.0.join("from");
    std::fs::create_dir(&from).unwrap();
    std::fs::copy(HELLO, from.join("hello.tsim")).unwrap();
    let tree = t.0.join("tree");
    let out = tsim_limited(&[
        "fixtures",
        "--from",
        &from.to_string_lossy(),
        "--out",
        &tree.to_string_lossy(),
    ])
    .expect("ran");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("written under"));
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
    assert!(names(&tree.join("normal/hello")).is_empty());
}
