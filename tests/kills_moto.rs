//! Deploys killed at the worst moments, then run again: every rerun converges to a clean
//! deploy's end state (the emulator's state through the AWS API), and the change sets gapfill
//! made and left behind are cleaned up, never accumulate. The moments come from the fault
//! proxy's holds (tests/support/faults.rs): the request is applied by the emulator, its answer
//! never reaches gapfill, and gapfill is killed right then.
//!
//! Named moments: a change set created, not executed (the new stack left REVIEW_IN_PROGRESS);
//! an execution in flight; a step between its apply and its verify read. Seeded random moments:
//! the k-th request of a deploy (`GAPFILL_KILLS`, default 3, `GAPFILL_KILL_SEED`, default 1).
//! SIGINT and SIGTERM: exit 1 (130 allowed for SIGINT), no new call after the signal, the
//! summary says what was and was not done. Two deploys of one project at once: nothing is corrupted.
//! Prints `reliability: ...` lines for scripts/reliability.sh.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::Value;
use support::emulator::{one_at_a_time, PrivateEmulator};
use support::end_state;
use support::example::{example_project, TOKEN};
use support::faults::{FaultPlan, FaultProxy};
use support::project::TempProject;
use support::recorded::Request;
use support::run::{Gapfill, Output, Running};

/// No run may take longer: past it the run is killed and the test fails.
const RUN_LIMIT: Duration = Duration::from_secs(300);
/// How long a test waits for the moment it kills at.
const MOMENT_LIMIT: Duration = Duration::from_secs(120);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn start_deploy(project: &TempProject, endpoint: &str, extra: &[&str]) -> Running {
    let mut args = vec!["deploy", "--format", "plain"];
    args.extend_from_slice(extra);
    Gapfill::new(project.path(), endpoint, &args)
        .env("CATALOG_API_TOKEN", TOKEN)
        .spawn()
}

fn deploy(project: &TempProject, endpoint: &str) -> Output {
    start_deploy(project, endpoint, &[]).wait(RUN_LIMIT)
}

/// The example's end state after a clean deploy on an emulator of its own.
fn clean_state() -> &'static Value {
    static STATE: OnceLock<Value> = OnceLock::new();
    STATE.get_or_init(|| {
        let emulator = PrivateEmulator::start();
        let project = example_project();
        deploy(&project, &emulator.url).assert_code(0);
        end_state::example(&project, &emulator.url)
    })
}

/// Counts of kill runs, printed for scripts/reliability.sh.
#[derive(Default)]
struct Kills {
    kills: usize,
    reruns: usize,
    converged: usize,
}

impl Kills {
    /// One run stopped, one rerun that converged.
    fn one(&mut self) {
        self.kills += 1;
        self.reruns += 1;
        self.converged += 1;
    }

    fn report(&self, what: &str) {
        eprintln!(
            "reliability: suite={what} kills={} reruns={} reruns_converged={}",
            self.kills, self.reruns, self.converged
        );
    }
}

/// Deploys the example through a proxy, SIGKILLs gapfill the moment the server has applied
/// the first request `moment` accepts, checks what was left, then reruns without faults and
/// checks the rerun converges. Returns the proxy log of the killed run, for messages.
fn kill_at(
    label: &str,
    moment: impl Fn(&Request) -> bool + Send + 'static,
    left_behind: impl Fn(&TempProject, &str),
) -> String {
    let emulator = PrivateEmulator::start();
    let project = example_project();
    let proxy = FaultProxy::start(&emulator.url, FaultPlan::none());
    let held = proxy.hold_after(moment);
    let running = start_deploy(&project, proxy.url(), &[]);
    let entry = held.wait(MOMENT_LIMIT);
    let killed = running.kill();
    proxy.quiesce();
    let log = proxy.log_text();
    let proxy_log = proxy.log();
    eprintln!("kill run: {label} at {entry}");
    drop(proxy);
    left_behind(&project, &emulator.url);
    let again = deploy(&project, &emulator.url);
    assert_eq!(
        again.code, 0,
        "{label}: the rerun after the kill; {again}\n--- killed run\n{killed}\n--- proxy log\n{log}"
    );
    let state = end_state::example(&project, &emulator.url);
    let expected = expected_after(label, &proxy_log);
    assert_eq!(
        state, expected,
        "{label}: the rerun did not converge; {again}\n--- proxy log of the killed run\n{log}"
    );
    log
}

/// The end state a rerun reaches after a run that sent `log` was stopped: a clean deploy's,
/// but for the seed step when the stopped run created catalog-data and never seeded it.
fn expected_after(label: &str, log: &[support::faults::LogEntry]) -> Value {
    let mut expected = clean_state().clone();
    if seed_lost(log) {
        // `when: {created: catalog-data}` is about what a run did: the run that created the
        // stack was stopped before the seed step, and the rerun did not create it. Reported;
        // see the ignored test below.
        eprintln!("kill run: {label}: stopped between catalog-data's creation and its seed step");
        expected["table_items"] = 0.into();
    }
    expected
}

/// Whether the killed run created catalog-data (its ExecuteChangeSet reached the emulator)
/// but never sent the seed step's PutItem.
fn seed_lost(log: &[support::faults::LogEntry]) -> bool {
    let executed = log.iter().any(|entry| {
        entry.request.action == "ExecuteChangeSet"
            && entry.request.stack() == Some("catalog-data")
            && entry.upstream_status.is_some()
    });
    executed && !log.iter().any(|entry| entry.request.action == "PutItem")
}

fn is_action(action: &'static str, stack: &'static str) -> impl Fn(&Request) -> bool {
    move |request: &Request| request.action == action && request.stack() == Some(stack)
}

#[test]
fn killed_at_named_moments_a_rerun_converges_and_cleans_up_its_change_sets() {
    let _turn = one_at_a_time();
    let mut kills = Kills::default();

    // A change set created, not executed: the new stack is left REVIEW_IN_PROGRESS.
    kill_at(
        "change set created, not executed",
        is_action("CreateChangeSet", "catalog-data"),
        |project, endpoint| {
            let state = end_state::stacks(project, endpoint, "catalog-data");
            assert_eq!(
                state["catalog-data"]["stacks"][0]["status"], "REVIEW_IN_PROGRESS",
                "{state}"
            );
            assert_eq!(
                state["catalog-data"]["pending_change_sets"]
                    .as_array()
                    .map(Vec::len),
                Some(1),
                "the killed run left its change set: {state}"
            );
        },
    );
    kills.one();

    // An execution in flight.
    kill_at(
        "execution in flight",
        is_action("ExecuteChangeSet", "catalog-ingest"),
        |_, _| {},
    );
    kills.one();

    // A step between its apply and its verify read: the write happened, gapfill never saw it.
    kill_at(
        "step applied, not verified",
        |request: &Request| request.method == "PUT" && request.path.ends_with("/concurrency"),
        |project, endpoint| {
            let concurrency = support::example::call(
                project,
                endpoint,
                "lambda:GetFunctionConcurrency",
                serde_json::json!({"FunctionName": "catalog-importer-demo"}),
            );
            assert_eq!(concurrency["ReservedConcurrentExecutions"], 5, "applied");
        },
    );
    kills.one();
    kills.report("kills-named");
}

#[test]
fn change_sets_left_by_killed_runs_never_accumulate() {
    let _turn = one_at_a_time();
    let emulator = PrivateEmulator::start();
    let project = example_project();
    // catalog-data deployed; then three runs killed each time catalog-ingest's change set is
    // made: each run cleans up what the one before left.
    start_deploy(&project, &emulator.url, &["--skip-steps"])
        .wait(RUN_LIMIT)
        .assert_code(0);
    project.write(
        "gapfill.yaml",
        &project.read("gapfill.yaml").replace(
            "      Env: demo\n      TableName",
            "      Env: demo\n      MemorySize: \"512\"\n      TableName",
        ),
    );
    for round in 1..=3 {
        let proxy = FaultProxy::start(&emulator.url, FaultPlan::none());
        let held = proxy.hold_after(is_action("CreateChangeSet", "catalog-ingest"));
        let running = start_deploy(&project, proxy.url(), &["--skip-steps"]);
        held.wait(MOMENT_LIMIT);
        running.kill();
        let pending = end_state::pending_change_sets(&project, &emulator.url, "catalog-ingest");
        assert!(
            pending.len() <= 1,
            "round {round}: change sets accumulate: {pending:?}\n{}",
            proxy.log_text()
        );
    }
    let last = deploy(&project, &emulator.url);
    last.assert_code(0);
    let pending = end_state::pending_change_sets(&project, &emulator.url, "catalog-ingest");
    assert!(pending.is_empty(), "left behind: {pending:?}; {last}");
    let state = end_state::stacks(&project, &emulator.url, "catalog-ingest");
    assert_eq!(
        state["catalog-ingest"]["stacks"][0]["parameters"]["MemorySize"], "512",
        "{state}"
    );
    Kills {
        kills: 3,
        reruns: 1,
        converged: 1,
    }
    .report("kills-accumulate");
}

/// A small seeded generator (splitmix64), so kill moments replay.
fn seeded(seed: u64, index: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(index);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[test]
fn killed_at_seeded_random_moments_a_rerun_converges() {
    let _turn = one_at_a_time();
    let count = env_number("GAPFILL_KILLS", 3);
    let seed = env_number("GAPFILL_KILL_SEED", 1);
    // How many requests a clean deploy of the example sends.
    let requests = {
        let emulator = PrivateEmulator::start();
        let project = example_project();
        let proxy = FaultProxy::start(&emulator.url, FaultPlan::none());
        deploy(&project, proxy.url()).assert_code(0);
        proxy.log().len() as u64
    };
    let mut kills = Kills::default();
    for index in 0..count {
        let k = (seeded(seed, index) % requests) as usize;
        let seen = Arc::new(AtomicUsize::new(0));
        let moment = move |_: &Request| seen.fetch_add(1, Ordering::SeqCst) == k;
        kill_at(
            &format!("seed {seed} kill {index}: request #{k} of {requests}"),
            moment,
            |_, _| {},
        );
        kills.one();
    }
    kills.report("kills-random");
}

/// Sends `signal` to the run the moment its held request was applied; returns its output and
/// the requests that came after the signal.
fn signal_at(
    signal: &str,
    moment: impl Fn(&Request) -> bool + Send + 'static,
) -> (Output, Vec<String>) {
    let emulator = PrivateEmulator::start();
    let project = example_project();
    let proxy = FaultProxy::start(&emulator.url, FaultPlan::none());
    let held = proxy.hold_after(moment);
    // Stacks only: while the held call is out, gapfill has nothing else in flight, so any
    // request after the signal is a new call.
    let running = start_deploy(&project, proxy.url(), &["--skip-steps"]);
    held.wait(MOMENT_LIMIT);
    let before = proxy.log().len();
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &running.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal}");
    let output = running.wait(Duration::from_secs(60));
    let after: Vec<String> = proxy.log()[before..]
        .iter()
        .map(|entry| entry.to_string())
        .collect();
    // The work left is finished by a rerun.
    proxy.quiesce();
    let log = proxy.log();
    drop(proxy);
    let again = deploy(&project, &emulator.url);
    assert_eq!(again.code, 0, "the rerun after {signal}; {again}");
    assert_eq!(
        end_state::example(&project, &emulator.url),
        expected_after(signal, &log),
        "{output}"
    );
    (output, after)
}

/// The run's exit code and words after a signal, and no call made after it.
fn assert_stopped(signal: &str, output: &Output, after: &[String]) {
    assert!(
        after.is_empty(),
        "{signal}: calls made after the signal: {after:?}; {output}"
    );
    assert!(
        output.code == 1 || (signal == "INT" && output.code == 130),
        "{signal}: exit code; {output}"
    );
    let text = format!("{}{}", output.stdout, output.stderr);
    assert!(
        text.to_lowercase().contains("interrupt"),
        "{signal}: says it was interrupted; {output}"
    );
}

/// What was and was not done: a result line for each stack.
fn assert_summarised(signal: &str, output: &Output) {
    let text = format!("{}{}", output.stdout, output.stderr);
    for stack in ["catalog-data", "catalog-ingest"] {
        assert!(
            text.lines()
                .any(|line| line.contains(stack) && line.contains("result:")),
            "{signal}: the summary says nothing of {stack}; {output}"
        );
    }
}

#[test]
fn sigint_during_an_execution_stops_with_a_summary_and_no_new_call() {
    let _turn = one_at_a_time();
    let (output, after) = signal_at("INT", is_action("ExecuteChangeSet", "catalog-data"));
    assert_stopped("INT", &output, &after);
    assert_summarised("INT", &output);
    let mut kills = Kills::default();
    kills.one();
    kills.report("sigint");
}

#[test]
fn sigterm_during_a_change_set_stops_like_sigint() {
    let _turn = one_at_a_time();
    let (output, after) = signal_at("TERM", is_action("CreateChangeSet", "catalog-ingest"));
    assert_stopped("TERM", &output, &after);
    assert_summarised("TERM", &output);
    let mut kills = Kills::default();
    kills.one();
    kills.report("sigterm");
}

#[test]
fn two_deploys_at_once_corrupt_nothing() {
    let _turn = one_at_a_time();
    let emulator = PrivateEmulator::start();
    let project = example_project();
    // The first is held the moment its change set for catalog-data exists (the stack is
    // REVIEW_IN_PROGRESS); the second runs meanwhile; then the first goes on.
    let proxy = FaultProxy::start(&emulator.url, FaultPlan::none());
    let held = proxy.hold_after(is_action("CreateChangeSet", "catalog-data"));
    let first = start_deploy(&project, proxy.url(), &[]);
    held.wait(MOMENT_LIMIT);
    let second = deploy(&project, &emulator.url);
    held.release();
    let first = first.wait(RUN_LIMIT);
    for (which, output) in [("first", &first), ("second", &second)] {
        match output.code {
            0 => {}
            1 => {
                let text = format!("{}{}", output.stdout, output.stderr);
                assert!(
                    text.lines().any(|line| line.contains("catalog-data")
                        && (line.contains("failed") || line.contains("progress"))),
                    "the {which} deploy failed without naming the stack; {output}"
                );
            }
            _ => panic!("the {which} deploy: neither 0 nor 1; {output}"),
        }
    }
    let state = end_state::stacks(&project, &emulator.url, "catalog-");
    for stack in ["catalog-data", "catalog-ingest"] {
        if let Some(live) = state[stack]["live"].as_u64() {
            assert_eq!(
                live, 1,
                "two stacks named {stack}: {state}\n{first}\n{second}"
            );
        }
    }
    let again = deploy(&project, &emulator.url);
    assert_eq!(
        again.code, 0,
        "a deploy after both; {again}\n{first}\n{second}"
    );
    assert_eq!(
        &end_state::example(&project, &emulator.url),
        clean_state(),
        "{first}\n{second}"
    );
}

/// What `when: {created: ...}` promises (README): it speaks of what *this run* did. A deploy
/// killed between creating the stack and its seed step leaves the seed to be run by name.
#[test]
fn a_seed_lost_to_a_kill_after_the_create_is_not_run_by_a_rerun_but_runs_when_named() {
    let _turn = one_at_a_time();
    let emulator = PrivateEmulator::start();
    let project = example_project();
    let proxy = FaultProxy::start(&emulator.url, FaultPlan::none());
    // The first call about catalog-data after its ExecuteChangeSet: the stack is created, and
    // gapfill has not yet seen it (so no step that waits for it has started).
    let executed = std::sync::atomic::AtomicBool::new(false);
    let held = proxy.hold_after(move |request| {
        if request.stack() != Some("catalog-data") {
            return false;
        }
        executed.fetch_or(request.action == "ExecuteChangeSet", Ordering::SeqCst)
    });
    let running = start_deploy(&project, proxy.url(), &[]);
    held.wait(MOMENT_LIMIT);
    running.kill();
    drop(proxy);
    let items = || {
        support::example::call(
            &project,
            &emulator.url,
            "dynamodb:Scan",
            serde_json::json!({"TableName": "catalog-products-demo"}),
        )["Count"]
            .clone()
    };

    let rerun = deploy(&project, &emulator.url);
    rerun.assert_code(0);
    assert_eq!(items(), 0, "the rerun did not create the stack: {rerun}");

    let named = start_deploy(
        &project,
        &emulator.url,
        &["--only-steps", "seed-categories"],
    )
    .wait(RUN_LIMIT);
    named.assert_code(0);
    assert_eq!(items(), 1, "named, the seed runs: {named}");
}
