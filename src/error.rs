//! The library's error type. Every error says where (file, line, field) and what was expected.

use std::path::{Path, PathBuf};

/// Any error kubesim reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The scenario YAML does not parse or does not match the schema.
    #[error("{file}{location}: {message}")]
    Yaml {
        /// Scenario file.
        file: String,
        /// `:line:column` and ` (field path)` where known.
        location: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A scenario value is invalid (after parsing).
    #[error("{file}: field `{field}`: {message}")]
    Scenario {
        /// Scenario file (empty until attached with [`Error::in_file`]).
        file: String,
        /// Dotted path of the offending field.
        field: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A trace or data file has a bad record.
    #[error("{file}:{line}: {message}")]
    Trace {
        /// Data file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong (naming the column) and what was expected.
        message: String,
    },
    /// A command-line argument is invalid.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// A scenario field error (the file is attached later by the loader).
    pub fn scenario(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Scenario {
            file: String::new(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// A bad record at `line` of `file`.
    pub fn trace(file: &Path, line: u64, message: impl Into<String>) -> Error {
        Error::Trace {
            file: file.display().to_string(),
            line,
            message: message.into(),
        }
    }

    /// Attaches the scenario file name to a field error that does not name one yet.
    pub fn in_file(self, file: &Path) -> Error {
        match self {
            Error::Scenario {
                file: f,
                field,
                message,
            } if f.is_empty() => Error::Scenario {
                file: file.display().to_string(),
                field,
                message,
            },
            other => other,
        }
    }
}

/// Result alias for the library.
pub type Result<T> = std::result::Result<T, Error>;
