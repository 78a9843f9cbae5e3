//! All-or-nothing output: a command's files appear in the output folder together or not at
//! all, and a failed or killed run leaves the previous results as they were.
//!
//! [`OutputSet::commit`] writes the whole set into a hidden staging folder beside the output
//! folder (same parent, so renames stay on one file system), syncs every file and the folder,
//! then swaps it in: a new output folder is one rename; an existing one is renamed aside,
//! the staging folder renamed in, and the old folder removed. Files of the existing folder
//! that the set does not own (the other command's outputs, e.g. `comparison.csv` beside a
//! run's files, or anything else the user keeps there) are hard-linked (or copied) into the
//! staging folder first, so they survive the swap. A run killed between the two renames
//! leaves the old folder under its hidden name; the next commit to that folder renames it
//! back before anything else, and removes staging folders of processes that are gone.
//!
//! An output folder that holds sub-folders or symbolic links, is itself a symbolic link, or
//! is named `.`/`..` is not swapped: the set is then written file by file (each to a hidden
//! temporary name, synced, then renamed over its final name).

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A set of output files held in memory until committed.
#[derive(Default)]
pub struct OutputSet {
    files: Vec<(String, Vec<u8>)>,
    /// Further names the set owns: files of these names in the output folder are removed
    /// when the set does not contain them (stale outputs of an earlier run).
    owned: Vec<String>,
}

/// Infix of staging folders (`.<out>.kubesim-staging-<pid>`).
const STAGING: &str = "kubesim-staging-";
/// Infix of a replaced folder while it is swapped out (`.<out>.kubesim-old-<pid>`).
const OLD: &str = "kubesim-old-";

impl OutputSet {
    /// Adds a file (name relative to the output folder).
    pub fn add(&mut self, name: &str, contents: Vec<u8>) {
        self.files.push((name.to_owned(), contents));
    }

    /// Declares `names` as this set's outputs: a file of one of these names left in the
    /// output folder by an earlier commit is removed if this set does not write it. Files of
    /// other names are kept.
    pub fn owns(&mut self, names: &[&str]) {
        self.owned.extend(names.iter().map(|n| (*n).to_owned()));
    }

    fn is_owned(&self, name: &str) -> bool {
        self.files.iter().any(|(n, _)| n == name) || self.owned.iter().any(|n| n == name)
    }

    /// Writes all files into `dir` (created if missing) as one set (see the module
    /// documentation). Returns the written paths.
    pub fn commit(self, dir: &Path) -> Result<Vec<String>> {
        let Some((parent, name)) = split(dir) else {
            return self.commit_in_place(dir);
        };
        if !parent.as_os_str().is_empty() {
            fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        }
        let parent_dir = if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.clone()
        };
        recover(&parent_dir, &name, dir)?;
        let existing = match fs::symlink_metadata(dir) {
            Ok(m) if m.is_dir() => Some(simple_entries(dir)?),
            Ok(_) => return self.commit_in_place(dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(dir, e)),
        };
        let existing = match existing {
            Some(None) => return self.commit_in_place(dir),
            Some(Some(files)) => Some(files),
            None => None,
        };
        let staging = parent.join(format!(".{name}.{STAGING}{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        let staged = self.stage(&staging, dir, existing.as_deref());
        if let Err(e) = staged {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        if existing.is_some() {
            let old = parent.join(format!(".{name}.{OLD}{}", std::process::id()));
            let _ = fs::remove_dir_all(&old);
            if let Err(e) = fs::rename(dir, &old) {
                let _ = fs::remove_dir_all(&staging);
                return Err(Error::io(dir, e));
            }
            if let Err(e) = fs::rename(&staging, dir) {
                let _ = fs::rename(&old, dir);
                let _ = fs::remove_dir_all(&staging);
                return Err(Error::io(dir, e));
            }
            sync_dir(&parent_dir);
            let _ = fs::remove_dir_all(&old);
        } else {
            if let Err(e) = fs::rename(&staging, dir) {
                let _ = fs::remove_dir_all(&staging);
                return Err(Error::io(dir, e));
            }
            sync_dir(&parent_dir);
        }
        Ok(self.written(dir))
    }

    /// Fills `staging` with the set and the kept files of the existing folder, all synced.
    fn stage(&self, staging: &Path, dir: &Path, existing: Option<&[String]>) -> Result<()> {
        fs::create_dir(staging).map_err(|e| Error::io(staging, e))?;
        for (name, contents) in &self.files {
            write_synced(&staging.join(name), contents)?;
        }
        for f in existing.unwrap_or_default() {
            if self.is_owned(f) {
                continue;
            }
            let (from, to) = (dir.join(f), staging.join(f));
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to).map_err(|e| Error::io(&from, e))?;
                fs::File::open(&to)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| Error::io(&to, e))?;
            }
        }
        sync_dir(staging);
        Ok(())
    }

    /// File-by-file commit into `dir`: every file to `.<name>.tmp` (synced), then renamed.
    fn commit_in_place(self, dir: &Path) -> Result<Vec<String>> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
        for (name, contents) in &self.files {
            let temp = dir.join(format!(".{name}.tmp"));
            if let Err(e) = write_synced(&temp, contents) {
                for (t, _) in &temps {
                    let _ = fs::remove_file(t);
                }
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
            temps.push((temp, dir.join(name)));
        }
        for (temp, final_path) in &temps {
            fs::rename(temp, final_path).map_err(|e| Error::io(final_path, e))?;
        }
        for n in &self.owned {
            if !self.files.iter().any(|(f, _)| f == n) {
                let _ = fs::remove_file(dir.join(n));
            }
        }
        sync_dir(dir);
        Ok(self.written(dir))
    }

    fn written(&self, dir: &Path) -> Vec<String> {
        self.files
            .iter()
            .map(|(n, _)| dir.join(n).display().to_string())
            .collect()
    }
}

/// Writes one file all or nothing: to a hidden temporary name beside `path`, synced, then
/// renamed over `path` (an error or a kill leaves the previous file as it was).
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Usage(format!("{}: not a file name", path.display())))?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let temp = dir.map_or_else(
        || PathBuf::from(format!(".{name}.tmp")),
        |d| d.join(format!(".{name}.tmp")),
    );
    if let Err(e) = write_synced(&temp, contents) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    if let Err(e) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(Error::io(path, e));
    }
    sync_dir(dir.unwrap_or(Path::new(".")));
    Ok(())
}

/// `dir`'s parent and final name, or `None` when it has no plain final name (`.`, `..`, `/`).
fn split(dir: &Path) -> Option<(PathBuf, String)> {
    use std::path::Component;
    match dir.components().next_back()? {
        Component::Normal(n) => {
            let name = n.to_str()?.to_owned();
            let parent = dir.parent().map(Path::to_owned).unwrap_or_default();
            Some((parent, name))
        }
        _ => None,
    }
}

/// The names of the regular files in `dir`, or `None` if it holds anything else (then it is
/// not swapped whole).
fn simple_entries(dir: &Path) -> Result<Option<Vec<String>>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let kind = entry.file_type().map_err(|e| Error::io(dir, e))?;
        match entry.file_name().into_string() {
            Ok(n) if kind.is_file() => names.push(n),
            _ => return Ok(None),
        }
    }
    names.sort();
    Ok(Some(names))
}

/// Undoes what a killed commit to `parent/name` left: a folder swapped aside is renamed back
/// if the output folder is missing, and the staging and swapped-aside folders of processes
/// that no longer run are removed.
fn recover(parent: &Path, name: &str, dir: &Path) -> Result<()> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let prefix = format!(".{name}.");
    let mut leftovers: Vec<(PathBuf, bool)> = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let (is_old, pid) = if let Some(p) = rest.strip_prefix(OLD) {
            (true, p)
        } else if let Some(p) = rest.strip_prefix(STAGING) {
            (false, p)
        } else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || !process_runs(pid) {
            leftovers.push((entry.path(), is_old));
        }
    }
    leftovers.sort();
    for (path, is_old) in leftovers {
        if is_old && fs::symlink_metadata(dir).is_err() {
            fs::rename(&path, dir).map_err(|e| Error::io(dir, e))?;
        } else {
            let _ = fs::remove_dir_all(&path);
        }
    }
    Ok(())
}

/// Whether process `pid` still runs (Linux: its `/proc` entry exists; elsewhere assumed gone).
fn process_runs(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

fn write_synced(path: &Path, contents: &[u8]) -> Result<()> {
    fs::File::create(path)
        .and_then(|mut f| f.write_all(contents).and_then(|_| f.sync_all()))
        .map_err(|e| Error::io(path, e))
}

/// Syncs a folder's entries to disk (best effort: not every platform can open a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kubesim-atomic-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn set(files: &[(&str, &str)]) -> OutputSet {
        let mut s = OutputSet::default();
        for (n, c) in files {
            s.add(n, c.as_bytes().to_vec());
        }
        s
    }

    #[test]
    fn commit_writes_all_files_and_no_temps() {
        let root = temp_root("new");
        let dir = root.join("out");
        let written = set(&[("a.csv", "x\n1\n"), ("b.csv", "y\n2\n")])
            .commit(&dir)
            .unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(fs::read(dir.join("a.csv")).unwrap(), b"x\n1\n");
        assert_eq!(names(&dir), ["a.csv", "b.csv"]);
        assert_eq!(names(&root), ["out"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn replacing_keeps_other_files_and_drops_stale_owned_ones() {
        let root = temp_root("replace");
        let dir = root.join("out");
        let mut first = set(&[("summary.csv", "1"), ("hpa.csv", "old")]);
        first.owns(&["summary.csv", "hpa.csv"]);
        first.commit(&dir).unwrap();
        set(&[("comparison.csv", "c")]).commit(&dir).unwrap();
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        let mut second = set(&[("summary.csv", "2")]);
        second.owns(&["summary.csv", "hpa.csv"]);
        second.commit(&dir).unwrap();
        assert_eq!(names(&dir), ["comparison.csv", "notes.txt", "summary.csv"]);
        assert_eq!(fs::read_to_string(dir.join("summary.csv")).unwrap(), "2");
        assert_eq!(fs::read_to_string(dir.join("comparison.csv")).unwrap(), "c");
        assert_eq!(names(&root), ["out"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_failed_commit_leaves_the_previous_results() {
        let root = temp_root("fail");
        let dir = root.join("out");
        set(&[("summary.csv", "1")]).commit(&dir).unwrap();
        // A name that cannot be created fails the staging; nothing changes.
        let bad = set(&[("summary.csv", "2"), ("no/such/dir.csv", "x")]);
        assert!(bad.commit(&dir).is_err());
        assert_eq!(fs::read_to_string(dir.join("summary.csv")).unwrap(), "1");
        assert_eq!(names(&root), ["out"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_folder_left_aside_by_a_killed_commit_is_restored() {
        let root = temp_root("recover");
        let dir = root.join("out");
        set(&[("summary.csv", "1"), ("comparison.csv", "c")])
            .commit(&dir)
            .unwrap();
        // As if killed between the two renames, and a dead process's staging folder.
        fs::rename(&dir, root.join(format!(".out.{OLD}{}", u32::MAX))).unwrap();
        fs::create_dir(root.join(format!(".out.{STAGING}{}", u32::MAX - 1))).unwrap();
        set(&[("summary.csv", "2")]).commit(&dir).unwrap();
        assert_eq!(names(&dir), ["comparison.csv", "summary.csv"]);
        assert_eq!(fs::read_to_string(dir.join("summary.csv")).unwrap(), "2");
        assert_eq!(names(&root), ["out"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn folders_with_sub_folders_are_written_in_place() {
        let root = temp_root("inplace");
        let dir = root.join("out");
        fs::create_dir_all(dir.join("sub")).unwrap();
        let mut s = set(&[("summary.csv", "1")]);
        s.owns(&["hpa.csv"]);
        fs::write(dir.join("hpa.csv"), "stale").unwrap();
        s.commit(&dir).unwrap();
        assert_eq!(names(&dir), ["sub", "summary.csv"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn write_file_replaces_one_file_and_leaves_no_temp() {
        let root = temp_root("one");
        let path = root.join("s.yaml");
        write_file(&path, b"old\n").unwrap();
        write_file(&path, b"new\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new\n");
        assert_eq!(names(&root), ["s.yaml"]);
        assert!(write_file(&root.join("missing/s.yaml"), b"x").is_err());
        assert_eq!(names(&root), ["s.yaml"]);
        fs::remove_dir_all(&root).unwrap();
    }
}
