//! `gapfill completions SHELL` and `gapfill man`: shell completion scripts (clap_complete) and
//! manual pages (clap_mangen), both generated from the command line's own definition
//! (`cli::Cli`), so they can never disagree with it.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::Error;

/// Prints the completion script for `args.shell`.
pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> Result<i32, Error> {
    // clap_complete panics on a failed write: render into memory, then write with care
    // (`gapfill completions bash | head` must not panic).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "gapfill", &mut script);
    out.write_all(&script).map_err(Error::output)?;
    out.flush().map_err(Error::output)?;
    Ok(crate::exit_code::SUCCESS)
}

/// Prints gapfill(1), or with `--dir` writes a page per command into that directory and
/// names each page written.
pub fn man(args: &ManArgs, out: &mut dyn Write) -> Result<i32, Error> {
    match &args.dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|error| Error::new(format!("cannot render the manual page: {error}")))?;
            out.write_all(&page).map_err(Error::output)?;
        }
        Some(dir) => {
            for page in write_pages(dir)? {
                writeln!(out, "{}", page.display()).map_err(Error::output)?;
            }
        }
    }
    out.flush().map_err(Error::output)?;
    Ok(crate::exit_code::SUCCESS)
}

/// Writes gapfill.1 and a page per subcommand (gapfill-deploy.1, ...) into `dir`; the paths.
fn write_pages(dir: &Path) -> Result<Vec<std::path::PathBuf>, Error> {
    let cannot = |error: std::io::Error| {
        Error::new(format!(
            "cannot write manual pages into `{}`: {error}",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut written = vec![clap_mangen::Man::new(command.clone())
        .generate_to(dir)
        .map_err(cannot)?];
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        written.push(
            clap_mangen::Man::new(sub.clone())
                .generate_to(dir)
                .map_err(cannot)?,
        );
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_know_every_command_and_flag() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
        ] {
            let mut out = Vec::new();
            completions(&CompletionsArgs { shell }, &mut out).unwrap();
            let script = String::from_utf8(out).unwrap();
            for word in ["deploy", "drift", "outputs-file", "max-concurrency"] {
                assert!(script.contains(word), "{shell}: no {word}");
            }
        }
    }

    #[test]
    fn the_man_page_documents_the_commands_and_every_page_is_written() {
        let mut out = Vec::new();
        man(&ManArgs { dir: None }, &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(page.contains(".TH gapfill 1"), "{page}");
        for word in ["deploy", "drift", "Exit codes"] {
            assert!(page.contains(word), "no {word} in {page}");
        }
        let dir = tempfile::tempdir().unwrap();
        let mut out = Vec::new();
        man(
            &ManArgs {
                dir: Some(dir.path().to_path_buf()),
            },
            &mut out,
        )
        .unwrap();
        for page in ["gapfill.1", "gapfill-deploy.1", "gapfill-drift.1"] {
            let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
            assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
        }
        let written = std::fs::read_dir(dir.path()).unwrap().count();
        assert!(written > 9, "a page per command: {written}");
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), written);
    }
}
