// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! A simulated GitHub-hosted runner for the action's script (`action/entrypoint.sh`): one job's
//! directories (`RUNNER_TEMP`, `HOME`, the workspace), the runner's variables (`RUNNER_OS`,
//! `RUNNER_ARCH`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`), the inputs as `INPUT_*`, and, when the
//! tests run as root, the unprivileged user `kaniko-test` for every step (like GitHub's `runner`),
//! with a fake `sudo` on `PATH` that records its arguments and runs the rest.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::ci::{repo_path, world_readable_tempdir};
use super::isolation::{is_root, user_ids, ROOTLESS_USER};
use super::tools;

pub const SCRIPT: &str = "action/entrypoint.sh";

/// `INPUT_<NAME>` as action.yml names the variable of an input.
pub fn input_var(name: &str) -> String {
    format!("INPUT_{}", name.to_uppercase().replace('-', "_"))
}

/// Records `sudo`'s arguments, drops its options and runs the rest as the same user.
const FAKE_SUDO: &str = "#!/bin/sh\n\
    printf '%s\\n' \"$*\" >>\"$FAKE_SUDO_LOG\"\n\
    while [ $# -gt 0 ]; do case \"$1\" in -*) shift ;; *) break ;; esac; done\n\
    exec \"$@\"\n";

/// What one step left behind.
pub struct Step {
    pub success: bool,
    pub log: String,
    pub outputs: BTreeMap<String, String>,
    pub summary: String,
}

impl Step {
    pub fn assert_ok(self) -> Step {
        assert!(self.success, "the action step failed:\n{}", self.log);
        self
    }

    pub fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name} in {:?}\n{}", self.outputs, self.log))
    }
}

/// GitHub's `$GITHUB_OUTPUT` format: `name=value` lines and `name<<DELIMITER` blocks.
fn parse_github_output(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_owned(), value.to_owned());
        } else {
            panic!("malformed GITHUB_OUTPUT line {line:?} in:\n{text}");
        }
    }
    outputs
}

/// The files a step writes its outputs and summary into.
pub struct StepFiles {
    output: PathBuf,
    summary: PathBuf,
}

impl StepFiles {
    pub fn finish(&self, success: bool, stdout: &[u8], stderr: &[u8]) -> Step {
        Step {
            success,
            log: format!(
                "{}{}",
                String::from_utf8_lossy(stdout),
                String::from_utf8_lossy(stderr)
            ),
            outputs: parse_github_output(&fs_err::read_to_string(&self.output).expect("read GITHUB_OUTPUT")),
            summary: fs_err::read_to_string(&self.summary).expect("read GITHUB_STEP_SUMMARY"),
        }
    }
}

/// One job on a simulated GitHub-hosted runner.
pub struct RunnerJob {
    pub root: TempDir,
    /// `RUNNER_ARCH`: X64 or ARM64.
    pub arch: &'static str,
    /// The unprivileged user the steps run as, when the test runs as root.
    user: Option<(u32, u32)>,
    steps: std::cell::Cell<u32>,
}

impl RunnerJob {
    /// A job whose steps run as an ordinary user, like GitHub's `runner`.
    pub fn new(arch: &'static str) -> RunnerJob {
        let user = is_root().then(|| {
            user_ids(ROOTLESS_USER).unwrap_or_else(|| panic!("no user {ROOTLESS_USER}: run hack/setup.sh"))
        });
        Self::with_user(arch, user)
    }

    /// A job whose steps run as this process's user (root, for a job in a `container:`).
    pub fn as_self(arch: &'static str) -> RunnerJob {
        Self::with_user(arch, None)
    }

    fn with_user(arch: &'static str, user: Option<(u32, u32)>) -> RunnerJob {
        let root = world_readable_tempdir("kaniko-gha-");
        let job = RunnerJob {
            root,
            arch,
            user,
            steps: std::cell::Cell::new(0),
        };
        for dir in ["temp", "home", "workspace", "bin"] {
            fs_err::create_dir(job.path(dir)).expect("create runner dir");
            job.give(&job.path(dir));
        }
        fs_err::write(job.path("bin/sudo"), FAKE_SUDO).expect("write fake sudo");
        fs_err::set_permissions(job.path("bin/sudo"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod fake sudo");
        fs_err::write(job.path("sudo.log"), "").expect("create sudo log");
        job.give(&job.path("sudo.log"));
        job
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    /// `RUNNER_TEMP`.
    pub fn temp(&self) -> PathBuf {
        self.path("temp")
    }

    /// Hands `path` to the runner user.
    pub fn give(&self, path: &Path) {
        if let Some((uid, gid)) = self.user {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown to the runner user");
        }
    }

    /// Runs the action's script with `inputs` (action input names) and extra environment.
    pub fn step(&self, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> Step {
        let (mut cmd, files) = self.step_command(inputs, env);
        let out = tools::run(&mut cmd);
        files.finish(out.status.success(), &out.stdout, &out.stderr)
    }

    /// The command that runs the action's script with `inputs` and extra environment, not started,
    /// and the step's GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
    pub fn step_command(&self, inputs: &[(&str, &str)], env: &[(&str, &str)]) -> (Command, StepFiles) {
        self.script_command(&repo_path(SCRIPT), inputs, env)
    }

    /// A `run:` step of a workflow: `script` run by bash with the step's environment.
    pub fn run_step(&self, script: &str, env: &[(&str, &str)]) -> Step {
        let n = self.steps.get() + 1;
        let path = self.path(&format!("run-{n}.sh"));
        fs_err::write(&path, script).expect("write the run step's script");
        self.give(&path);
        let (mut cmd, files) = self.script_command(&path, &[], env);
        let out = tools::run(&mut cmd);
        files.finish(out.status.success(), &out.stdout, &out.stderr)
    }

    fn script_command(
        &self,
        script: &Path,
        inputs: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> (Command, StepFiles) {
        let n = self.steps.get() + 1;
        self.steps.set(n);
        let files = StepFiles {
            output: self.path(&format!("output-{n}")),
            summary: self.path(&format!("summary-{n}")),
        };
        for file in [&files.output, &files.summary] {
            fs_err::write(file, "").expect("create step file");
            self.give(file);
        }
        let mut cmd = self.command("bash");
        cmd.arg(script).env_clear().current_dir(self.path("workspace"));
        let path = format!(
            "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            self.path("bin").display()
        );
        cmd.env("PATH", path)
            .env("HOME", self.path("home"))
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", self.path("workspace"))
            .env("GITHUB_OUTPUT", &files.output)
            .env("GITHUB_STEP_SUMMARY", &files.summary)
            .env("RUNNER_TEMP", self.temp())
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", self.arch)
            .env("FAKE_SUDO_LOG", self.path("sudo.log"));
        for (name, value) in inputs {
            cmd.env(input_var(name), value);
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        (cmd, files)
    }

    /// What is left in `RUNNER_TEMP` of the script's work directories (secrets, credentials).
    pub fn work_dirs_left(&self) -> Vec<String> {
        fs_err::read_dir(self.temp())
            .expect("read RUNNER_TEMP")
            .map(|e| e.expect("dir entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("kaniko-action."))
            .collect()
    }

    /// What the fake sudo was asked to run, one call per entry.
    pub fn sudo_calls(&self) -> Vec<String> {
        fs_err::read_to_string(self.path("sudo.log"))
            .expect("read sudo log")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// `program` run as the runner user.
    pub fn command(&self, program: &str) -> Command {
        let Some((uid, gid)) = self.user else {
            return Command::new(program);
        };
        let mut cmd = Command::new("setpriv");
        cmd.arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .args(["--clear-groups", "--", program]);
        cmd
    }

    /// Whether the runner user can create a user namespace here, as the script probes it.
    pub fn userns_works(&self) -> bool {
        let mut cmd = self.command("unshare");
        cmd.args(["--user", "--map-root-user", "true"]);
        tools::run(&mut cmd).status.success()
    }
}
