// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The `kaniko` binary: a thin edge that parses arguments, runs the command, prints the error chain
//! and picks the exit code. All logic lives in the library.

use std::process::ExitCode;

use kaniko::cli::{Cli, Command};
use kaniko::sandbox;

fn main() -> ExitCode {
    let cli = Cli::parse_from_env();
    match cli.command {
        Command::Version => {
            println!("{}", kaniko::version::long_version());
            ExitCode::SUCCESS
        }
        Command::Aggregate(flags) => run_aggregate(&flags),
        Command::Local(flags) => run_build(&flags, Some("local")),
        Command::K8s(flags) => run_build(&flags, Some("k8s")),
        Command::Build(flags) => run_build(&flags, None),
    }
}

fn run_aggregate(flags: &kaniko::cli::AggregateFlags) -> ExitCode {
    let settings = match kaniko::cli::aggregate_settings::AggregateSettings::from_flags(flags) {
        Ok(s) => s,
        Err(e) => return report(&anyhow::Error::from(e)),
    };
    let observer = match kaniko::observe::logging::init(&settings.log, false) {
        Ok(o) => o,
        Err(e) => return report(&anyhow::Error::from(e)),
    };
    let result = (|| -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let built = runtime.block_on(kaniko::coordinator::aggregate(settings))?;
        tracing::info!(digest = %built.digest(), "image index ready");
        Ok(())
    })();
    finish(observer, result)
}

/// Writes what the observer owes (metrics file, report, profile), then reports the result; a
/// failure to write them fails a command that succeeded.
fn finish(observer: kaniko::observe::logging::Observer, result: anyhow::Result<()>) -> ExitCode {
    let finished = observer.finish(result.is_ok());
    match (result, finished) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Ok(()), Err(e)) => report(&anyhow::Error::from(e)),
        (Err(e), finished) => {
            if let Err(f) = finished {
                eprintln!("error: {f}");
            }
            report(&e)
        }
    }
}

/// `build`, `local` and `k8s` (`local` and `k8s` = a multi-platform build with that driver; `local`
/// builds the host's platform when no --multi-platform is given).
fn run_build(flags: &kaniko::cli::BuildFlags, driver: Option<&str>) -> ExitCode {
    let mut flags = flags.clone();
    if let Some(driver) = driver {
        flags.multi.driver = driver.into();
        if flags.multi.multi_platform.is_empty() && driver == "local" {
            flags.multi.multi_platform = vec![kaniko::platform::Platform::host().to_string()];
        }
    }
    let settings = match kaniko::cli::settings::BuildSettings::from_flags(&flags, &|k| std::env::var(k).ok())
    {
        Ok(s) => s,
        Err(e) => return report(&anyhow::Error::from(e)),
    };
    let k8s = settings.driver == kaniko::coordinator::DriverKind::K8s;
    // A process that will only re-execute itself in a user namespace logs to the console and
    // nothing more: its child writes the debug files, serves the metrics and profiles.
    let relay = !k8s && will_reexec(&settings);
    let observer = match kaniko::observe::logging::init(&settings.log, relay) {
        Ok(o) => o,
        Err(e) => return report(&anyhow::Error::from(e)),
    };
    // The Kubernetes driver runs nothing here; its pods choose their own isolation.
    if k8s {
        let result = build(settings, Ok(sandbox::Isolation::Container));
        return finish(observer, result);
    }
    let isolation = match choose_isolation(&settings) {
        Isolation::Decided(i) => i,
        Isolation::Exit(code) => return code,
    };
    let result = build(settings, isolation);
    finish(observer, result)
}

/// Whether this process is about to re-execute itself in a user namespace (rootless mode).
fn will_reexec(settings: &kaniko::cli::settings::BuildSettings) -> bool {
    use sandbox::HostProbe;
    !sandbox::userns::inside()
        && matches!(
            sandbox::resolve(settings.isolation, settings.force, &sandbox::RealHost.facts()),
            Ok(sandbox::Isolation::Rootless)
        )
}

enum Isolation {
    Decided(Result<sandbox::Isolation, sandbox::SandboxError>),
    Exit(ExitCode),
}

/// Picks the RUN isolation before the async runtime starts, because rootless mode re-executes the
/// build inside a user namespace (which a multi-threaded process cannot enter). A failure is kept
/// for the build to report only if the Dockerfile has a RUN.
fn choose_isolation(settings: &kaniko::cli::settings::BuildSettings) -> Isolation {
    use sandbox::HostProbe;
    if sandbox::userns::inside() {
        return Isolation::Decided(Ok(sandbox::Isolation::Rootless));
    }
    let facts = sandbox::RealHost.facts();
    let chosen = sandbox::resolve(settings.isolation, settings.force, &facts);
    if !matches!(chosen, Ok(sandbox::Isolation::Rootless)) {
        return Isolation::Decided(chosen);
    }
    match sandbox::userns::reexec(std::env::args_os().collect()) {
        Ok(code) => Isolation::Exit(ExitCode::from(code)),
        // auto falls back to chroot for root when the namespace cannot be made after all.
        Err(e) if settings.isolation == sandbox::IsolationChoice::Auto && facts.is_root => {
            tracing::warn!("rootless isolation unavailable ({e}); using chroot");
            Isolation::Decided(Ok(sandbox::Isolation::Chroot))
        }
        Err(e) => Isolation::Exit(report(&anyhow::Error::from(e))),
    }
}

fn build(
    settings: kaniko::cli::settings::BuildSettings,
    isolation: Result<sandbox::Isolation, sandbox::SandboxError>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let multi =
        !settings.multi_platform.is_empty() || settings.driver != kaniko::coordinator::DriverKind::Local;
    let result: anyhow::Result<()> = if multi {
        runtime
            .block_on(kaniko::coordinator::build_multi_platform(settings, isolation))
            .map(|built| tracing::info!(digest = %built.digest(), "image index ready"))
            .map_err(anyhow::Error::from)
    } else {
        runtime
            .block_on(kaniko::build::run(settings, isolation))
            .map(drop)
            .map_err(anyhow::Error::from)
    };
    // An interrupted build may leave a thread blocked in I/O; waiting for it would undo the interrupt.
    runtime.shutdown_background();
    result
}

/// Prints `error: <outermost>: <cause>: …` on one line, as CI logs are grepped line by line, and
/// exits 128 + the signal number for an interrupted build (as a shell reports a killed process),
/// 1 for every other failure.
fn report(err: &anyhow::Error) -> ExitCode {
    let chain: Vec<String> = err.chain().map(|c| c.to_string()).collect();
    let mut line = String::new();
    for part in chain {
        if !line.is_empty() {
            if line.contains(&part) {
                continue;
            }
            line.push_str(": ");
        }
        line.push_str(&part);
    }
    // Messages that quote multi-line text (a heredoc, a registry's error body) stay on one line.
    let line = line.replace("\r\n", "\\n").replace('\n', "\\n");
    eprintln!("error: {line}");
    let signal = match err.downcast_ref::<kaniko::build::BuildError>() {
        Some(kaniko::build::BuildError::Interrupted(signal)) => Some(*signal),
        Some(_) => None,
        None => err
            .downcast_ref::<kaniko::coordinator::CoordinatorError>()
            .and_then(|c| c.interrupted_by()),
    };
    match signal {
        Some("SIGINT") => ExitCode::from(130),
        Some("SIGTERM") => ExitCode::from(143),
        _ => ExitCode::FAILURE,
    }
}
