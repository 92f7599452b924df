//! An emulator of a test's own: `scripts/emulator.sh start` on a free port, stopped when
//! dropped. For tests that need what the shared emulator cannot give them: the example
//! project's fixed resource names and account-level settings, with no other test around, or
//! CloudFormation taking time as in AWS (`start --async`, scripts/moto_async.py).

use std::path::Path;
use std::process::Command;

/// A private moto server.
pub struct PrivateEmulator {
    pub url: String,
    pid: String,
}

impl PrivateEmulator {
    pub fn start() -> PrivateEmulator {
        PrivateEmulator::launch(Command::new(Self::script()).arg("start"))
    }

    /// One whose stacks take time: resource durations of scripts/moto_async.py times
    /// `time_scale`.
    pub fn start_async(time_scale: f64) -> PrivateEmulator {
        PrivateEmulator::launch(
            Command::new(Self::script())
                .args(["start", "--async"])
                .env("GAPFILL_EMULATOR_TIME_SCALE", time_scale.to_string()),
        )
    }

    fn script() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/emulator.sh")
    }

    fn launch(command: &mut Command) -> PrivateEmulator {
        let output = command.output().expect("run scripts/emulator.sh start");
        let exports = String::from_utf8_lossy(&output.stdout).to_string();
        assert!(
            output.status.success(),
            "the private emulator did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let value = |name: &str| {
            exports
                .lines()
                .find_map(|line| line.strip_prefix(&format!("export {name}=")))
                .unwrap_or_else(|| panic!("no {name} in the emulator's exports: {exports}"))
                .to_string()
        };
        PrivateEmulator {
            url: value("AWS_ENDPOINT_URL"),
            pid: value("GAPFILL_EMULATOR_PID"),
        }
    }
}

impl Drop for PrivateEmulator {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.pid).status();
    }
}

/// Makes the tests of one binary that start emulators of their own take turns: several moto
/// servers starting and working at once on a small machine miss their start deadline.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
