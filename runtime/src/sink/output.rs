//! Safe file output: no file is ever left half-written, and nothing is
//! written through a symlink.
//!
//! A [`TempFile`] writes to a temporary file beside its final name (created
//! with `create_new`, so an existing file or a symlink at the temporary
//! path is never followed). [`commit`] flushes and `sync_all`s every file
//! of a set, then renames each temporary over its final name (a rename
//! replaces a symlink itself, it does not follow it). On any error, and
//! when a `TempFile` is dropped uncommitted, its temporary is removed: the
//! final names keep their previous contents, or stay absent.
//!
//! Errors name the final file: `cannot write DIR/logs.ndjson: No space
//! left on device (os error 28)`.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where a temporary's name starts: `.<final name>.tmp-<pid>-<n>`.
const TEMP_MARK: &str = ".tmp-";

/// An output file being written under a temporary name.
pub struct TempFile {
    dest: PathBuf,
    tmp: PathBuf,
    w: BufWriter<File>,
    done: bool,
}

/// `cannot write DEST: ERR`, keeping the error's kind.
fn annotate(dest: &Path, e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot write {}: {e}", dest.display()))
}

/// The final name a temporary of this module stands for (`logs.ndjson` for
/// `.logs.ndjson.tmp-12-0`), so directory checks can count it as tsim's own.
pub fn temp_owner(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?;
    let at = rest.rfind(TEMP_MARK)?;
    let (owner, tail) = (&rest[..at], &rest[at + TEMP_MARK.len()..]);
    let (pid, n) = tail.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (!owner.is_empty() && digits(pid) && digits(n)).then_some(owner)
}

impl TempFile {
    /// Starts writing `dest`: creates a new temporary file in its directory.
    /// Fails when `dest` exists and is neither a regular file nor a symlink
    /// (a directory, a device, a FIFO).
    pub fn create(dest: &Path) -> io::Result<TempFile> {
        Self::create_with(dest, |tmp| {
            OpenOptions::new().write(true).create_new(true).open(tmp)
        })
    }

    /// [`TempFile::create`] with the temporary opened by `open` (which must
    /// create the file at the path it is given, exclusively).
    fn create_with(dest: &Path, open: impl Fn(&Path) -> io::Result<File>) -> io::Result<TempFile> {
        if let Ok(meta) = std::fs::symlink_metadata(dest) {
            let kind = meta.file_type();
            if !kind.is_file() && !kind.is_symlink() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "cannot write {}: it exists and is not a regular file",
                        dest.display()
                    ),
                ));
            }
        }
        let Some(name) = dest.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot write {}: not a file name", dest.display()),
            ));
        };
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let pid = std::process::id();
        for n in 0..1000u32 {
            let tmp = dir.join(format!(".{name}{TEMP_MARK}{pid}-{n}"));
            match open(&tmp) {
                Ok(f) => {
                    return Ok(TempFile {
                        dest: dest.to_path_buf(),
                        tmp,
                        w: BufWriter::with_capacity(1 << 20, f),
                        done: false,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(annotate(dest, &e)),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("cannot write {}: no free temporary name", dest.display()),
        ))
    }

    /// The final name.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The temporary's name (removed on error or drop, renamed on commit).
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Flushes and syncs the temporary to disk (it stays temporary).
    pub fn prepare(&mut self) -> io::Result<()> {
        self.live()?;
        self.w.flush().map_err(|e| annotate(&self.dest, &e))?;
        self.w
            .get_ref()
            .sync_all()
            .map_err(|e| annotate(&self.dest, &e))
    }

    /// Removes the temporary; the final name is left as it was.
    pub fn discard(&mut self) {
        if !self.done {
            self.done = true;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }

    fn live(&self) -> io::Result<()> {
        if self.done {
            return Err(io::Error::other(format!(
                "cannot write {}: already committed or discarded",
                self.dest.display()
            )));
        }
        Ok(())
    }
}

impl Write for TempFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.live()?;
        self.w.write(buf).map_err(|e| annotate(&self.dest, &e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.live()?;
        self.w.write_all(buf).map_err(|e| annotate(&self.dest, &e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.live()?;
        self.w.flush().map_err(|e| annotate(&self.dest, &e))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.discard();
    }
}

/// Commits a set of files together: flushes and syncs every one, and only
/// when all succeeded renames each over its final name (then syncs the
/// directories). On an error every temporary not yet renamed is removed
/// and the error returned.
pub fn commit(files: &mut [&mut TempFile]) -> io::Result<()> {
    let result = files.iter_mut().try_for_each(|f| f.prepare());
    if let Err(e) = result {
        files.iter_mut().for_each(|f| f.discard());
        return Err(e);
    }
    for i in 0..files.len() {
        let f = &mut *files[i];
        if let Err(e) = std::fs::rename(&f.tmp, &f.dest) {
            let e = annotate(&f.dest, &e);
            files[i..].iter_mut().for_each(|f| f.discard());
            return Err(e);
        }
        f.done = true;
    }
    // Make the renames durable (best effort: not every platform opens
    // directories).
    for f in files.iter() {
        if let Some(dir) = f.tmp.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
    }
    Ok(())
}

/// Writes `bytes` to `dest` safely: temporary, sync, rename.
pub fn write(dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = TempFile::create(dest)?;
    f.write_all(bytes)?;
    commit(&mut [&mut f])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("tsim-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("a temp dir");
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("readable")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_and_drop_leaves_the_old_contents() {
        let d = temp("commit");
        let dest = d.join("a.txt");
        std::fs::write(&dest, "old").expect("written");
        {
            let mut f = TempFile::create(&dest).expect("created");
            f.write_all(b"new, never committed").expect("written");
            assert_eq!(std::fs::read_to_string(&dest).expect("read"), "old");
        }
        assert_eq!(names(&d), ["a.txt"]);
        assert_eq!(std::fs::read_to_string(&dest).expect("read"), "old");
        write(&dest, b"new").expect("committed");
        assert_eq!(std::fs::read_to_string(&dest).expect("read"), "new");
        assert_eq!(names(&d), ["a.txt"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_replaced_not_followed() {
        let d = temp("symlink");
        let target = d.join("target");
        std::fs::write(&target, "keep").expect("written");
        std::os::unix::fs::symlink(&target, d.join("out")).expect("a link");
        // A symlink squatting on the first temporary name is skipped too.
        let pid = std::process::id();
        std::os::unix::fs::symlink(&target, d.join(format!(".out.tmp-{pid}-0"))).expect("a link");
        write(&d.join("out"), b"new").expect("committed");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep");
        let meta = std::fs::symlink_metadata(d.join("out")).expect("exists");
        assert!(meta.file_type().is_file());
        assert_eq!(std::fs::read_to_string(d.join("out")).expect("read"), "new");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_leaves_no_temporary_and_no_final_file() {
        let d = temp("full");
        let (a, b) = (d.join("a.ndjson"), d.join("b.json"));
        // The temporary is created for real, but its writes go to /dev/full.
        let full = |tmp: &Path| {
            OpenOptions::new().write(true).create_new(true).open(tmp)?;
            OpenOptions::new().write(true).open("/dev/full")
        };
        let mut fa = TempFile::create(&a).expect("created");
        fa.write_all(b"fine\n").expect("buffered");
        let mut fb = TempFile::create_with(&b, full).expect("created");
        fb.write_all(b"{}\n").expect("buffered");
        assert_eq!(names(&d).len(), 2, "two temporaries");
        let e = commit(&mut [&mut fa, &mut fb]).expect_err("the disk is full");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("cannot write {}: ", b.display())) && text.contains("space"),
            "{text}"
        );
        assert!(names(&d).is_empty(), "left behind: {:?}", names(&d));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn refuses_a_directory_and_recognises_its_temporaries() {
        let d = temp("dir");
        std::fs::create_dir(d.join("sub")).expect("a dir");
        let e = TempFile::create(&d.join("sub")).err().expect("refused");
        assert!(e.to_string().contains("not a regular file"), "{e}");
        assert_eq!(temp_owner(".logs.ndjson.tmp-12-0"), Some("logs.ndjson"));
        assert_eq!(temp_owner(".logs.ndjson.tmp-x-0"), None);
        assert_eq!(temp_owner("logs.ndjson"), None);
        let _ = std::fs::remove_dir_all(&d);
    }
}
