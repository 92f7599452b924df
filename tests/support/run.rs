//! Runs the `gapfill` binary against a test endpoint, in a clean environment (dummy
//! credentials, no profile or config files, no proxies), with a deadline so a hung run fails
//! the test instead of hanging it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one run may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// What a finished run produced.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// `--format plain` lines without their timestamps, as `stack: text` for stack lines
    /// (`stacks` are the project's stack names) and the text alone for run lines. The two
    /// parts that differ between runs read as placeholders: change set names as `<change-set>`
    /// and the run's duration as `<duration>`.
    pub fn plain_lines(&self, stacks: &[&str]) -> Vec<String> {
        self.raw_plain_lines(stacks)
            .into_iter()
            .map(|line| placeholders(&line))
            .collect()
    }

    fn raw_plain_lines(&self, stacks: &[&str]) -> Vec<String> {
        let mut names: Vec<&str> = stacks.to_vec();
        names.sort_by_key(|name| std::cmp::Reverse(name.len()));
        self.stdout
            .lines()
            .map(|line| {
                let (stamp, rest) = line.split_once(' ').unwrap_or((line, ""));
                assert!(
                    stamp.len() == 20 && stamp.ends_with('Z'),
                    "a plain line starts with a UTC timestamp: {line:?}"
                );
                for name in &names {
                    if let Some(text) = rest.strip_prefix(name).filter(|t| t.starts_with("  ")) {
                        return format!("{name}: {}", text.trim_start());
                    }
                }
                rest.to_string()
            })
            .collect()
    }

    /// Panics with the whole run when the exit code is not `code`.
    pub fn assert_code(&self, code: i32) -> &Output {
        assert_eq!(self.code, code, "unexpected exit code; {self}");
        self
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Replaces the varying part after `marker` (up to the next `:`) with `placeholder`.
fn replace_after(line: &str, marker: &str, placeholder: &str) -> Option<String> {
    let start = line.find(marker)? + marker.len();
    let end = start + line[start..].find(':')?;
    Some(format!("{}{placeholder}{}", &line[..start], &line[end..]))
}

fn placeholders(line: &str) -> String {
    if line.contains("change set gapfill-") {
        if let Some(replaced) = replace_after(line, "change set ", "<change-set>") {
            return replaced;
        }
    }
    if line.starts_with("done in ") {
        if let Some(replaced) = replace_after(line, "done in ", "<duration>") {
            return replaced;
        }
    }
    line.to_string()
}

/// A `gapfill` invocation: working directory, endpoint, arguments.
pub struct Gapfill {
    command: Command,
    stdin: Option<String>,
}

impl Gapfill {
    /// `gapfill ARGS` in `dir`, talking to `endpoint` with dummy credentials.
    pub fn new(dir: &Path, endpoint: &str, args: &[&str]) -> Gapfill {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gapfill"));
        // Empty config and credentials files: the developer's ~/.aws never leaks in.
        let empty: PathBuf = dir.join(".empty-aws-config");
        std::fs::write(&empty, "").expect("write an empty AWS config file");
        command
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", &empty)
            .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
            .env("NO_PROXY", "*")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Gapfill {
            command,
            stdin: None,
        }
    }

    /// Pipes `text` into the run's standard input (closed and empty otherwise).
    pub fn stdin(mut self, text: &str) -> Gapfill {
        self.command.stdin(Stdio::piped());
        self.stdin = Some(text.to_string());
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, name: &str, value: &str) -> Gapfill {
        self.command.env(name, value);
        self
    }

    /// Removes an environment variable the clean environment sets.
    pub fn env_remove(mut self, name: &str) -> Gapfill {
        self.command.env_remove(name);
        self
    }

    /// Runs to the end (or the deadline, which fails the test).
    pub fn run(self) -> Output {
        self.spawn().wait(DEADLINE)
    }

    /// Starts without waiting.
    pub fn spawn(mut self) -> Running {
        Running::spawn(&mut self.command, self.stdin.as_deref())
    }
}

/// A started run.
pub struct Running {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Running {
    fn spawn(command: &mut Command, stdin: Option<&str>) -> Running {
        let mut child = command.spawn().expect("start the gapfill binary");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        Running {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for the exit; past `deadline`, kills the run and fails with what it printed.
    pub fn wait(mut self, deadline: Duration) -> Output {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the gapfill process") {
                return Output {
                    code: status.code().unwrap_or(-1),
                    stdout: self.stdout.join().unwrap_or_default(),
                    stderr: self.stderr.join().unwrap_or_default(),
                };
            }
            if started.elapsed() > deadline {
                let output = self.kill();
                panic!("gapfill ran longer than {deadline:?}; {output}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id, to send it signals.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Stops the run and returns what it printed.
    pub fn kill(mut self) -> Output {
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        Output {
            code: status.and_then(|s| s.code()).unwrap_or(-1),
            stdout: self.stdout.join().unwrap_or_default(),
            stderr: self.stderr.join().unwrap_or_default(),
        }
    }
}

fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}
