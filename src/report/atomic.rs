//! All-or-nothing output: every file is written under a temporary name first and renamed into
//! place only when all of them were written, so an error never leaves half a result set.

use crate::error::{Error, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A set of output files held in memory until committed.
#[derive(Default)]
pub struct OutputSet {
    files: Vec<(String, Vec<u8>)>,
}

impl OutputSet {
    /// Adds a file (name relative to the output folder).
    pub fn add(&mut self, name: &str, contents: Vec<u8>) {
        self.files.push((name.to_owned(), contents));
    }

    /// Writes all files into `dir` (created if missing): first to `.<name>.tmp`, then renames.
    /// Returns the written paths.
    pub fn commit(self, dir: &Path) -> Result<Vec<String>> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut temps: Vec<(PathBuf, PathBuf)> = Vec::new();
        let cleanup = |temps: &[(PathBuf, PathBuf)]| {
            for (t, _) in temps {
                let _ = fs::remove_file(t);
            }
        };
        for (name, contents) in &self.files {
            let final_path = dir.join(name);
            let temp = dir.join(format!(".{name}.tmp"));
            let written = fs::File::create(&temp)
                .and_then(|mut f| f.write_all(contents).and_then(|_| f.sync_all()));
            if let Err(e) = written {
                cleanup(&temps);
                let _ = fs::remove_file(&temp);
                return Err(Error::io(&temp, e));
            }
            temps.push((temp, final_path));
        }
        let mut done = Vec::new();
        for (temp, final_path) in &temps {
            fs::rename(temp, final_path).map_err(|e| Error::io(final_path, e))?;
            done.push(final_path.display().to_string());
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_writes_all_files_and_no_temps() {
        let dir = std::env::temp_dir().join(format!("kubesim-atomic-{}", std::process::id()));
        let mut set = OutputSet::default();
        set.add("a.csv", b"x\n1\n".to_vec());
        set.add("b.csv", b"y\n2\n".to_vec());
        let written = set.commit(&dir).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(fs::read(dir.join("a.csv")).unwrap(), b"x\n1\n");
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }
}
