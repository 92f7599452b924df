//! Temporary projects: a directory with a `gapfill.yaml` and templates, deleted after the test.
//! Fixtures under `tests/fixtures/` are copied in, so a test may change them freely.

use std::path::{Path, PathBuf};

/// A project in a temporary directory.
pub struct TempProject {
    dir: tempfile::TempDir,
}

impl TempProject {
    /// An empty project directory.
    pub fn new() -> TempProject {
        TempProject {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// A copy of the fixture directory `tests/fixtures/NAME`.
    pub fn from_fixture(name: &str) -> TempProject {
        let project = TempProject::new();
        copy_dir(&fixture(name), project.path());
        project
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `relative` (creating directories).
    pub fn write(&self, relative: &str, text: &str) -> &TempProject {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the file's directory");
        }
        std::fs::write(&path, text).expect("write a project file");
        self
    }

    /// The text of `relative`.
    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path().join(relative))
            .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
    }
}

/// The path of fixture `name`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("create a directory");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a fixture file");
        }
    }
}
