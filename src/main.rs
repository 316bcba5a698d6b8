// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! The `kaniko` binary: a thin edge that parses arguments, runs the command, prints the error chain
//! and picks the exit code. All logic lives in the library.

use std::process::ExitCode;

use kaniko::cancel::Cancellation;
use kaniko::cli::settings::{BuildInvocation, BuildRun};
use kaniko::cli::{Cli, Command};
use kaniko::observe::logging::LogFormat;
use kaniko::sandbox;

fn main() -> ExitCode {
    let cli = Cli::parse_from_env();
    match cli.command {
        Command::Version => {
            println!("{}", kaniko::version::long_version());
            ExitCode::SUCCESS
        }
        Command::Aggregate(flags) => run_aggregate(&flags),
        Command::Cache(kaniko::cli::CacheCommand::Prune(flags)) => run_prune(&flags),
        Command::Warmer(flags) => run_warmer(&flags),
        Command::GenerateKeyPair(flags) => run_generate_key_pair(&flags),
        Command::Verify(flags) => run_verify(&flags),
        Command::Local(flags) => run_build(&flags, Some("local")),
        Command::K8s(flags) => run_build(&flags, Some("k8s")),
        Command::Build(flags) => run_build(&flags, None),
    }
}

/// The console format of the final error line: known from the flag before it is validated, since
/// its validation may be what failed.
fn log_format(flags: &kaniko::cli::shared_flags::LogFlags) -> LogFormat {
    LogFormat::from_name(&flags.log_format).unwrap_or(LogFormat::Text)
}

/// The validated settings of a command and the logging they ask for, or the exit code of
/// reporting why there are none.
fn observed<T, E>(
    settings: Result<T, E>,
    observe: fn(&T) -> &kaniko::observe::settings::ObserveSettings,
    format: LogFormat,
) -> Result<(T, kaniko::observe::logging::Observer), ExitCode>
where
    anyhow::Error: From<E>,
{
    let invocation = settings.map_err(|e| report(&anyhow::Error::from(e), format))?;
    let observer = kaniko::observe::logging::init(observe(&invocation), false)
        .map_err(|e| report(&anyhow::Error::new(e), format))?;
    Ok((invocation, observer))
}

fn run_aggregate(flags: &kaniko::cli::AggregateFlags) -> ExitCode {
    use kaniko::cli::aggregate_settings::AggregateInvocation;
    let invocation = AggregateInvocation::from_flags(flags);
    run_command(
        &flags.log,
        invocation,
        |i| &i.observe,
        |invocation, runtime| {
            let built = runtime.block_on(kaniko::coordinator::aggregate(invocation.request))?;
            tracing::info!(digest = %built.digest(), "image index ready");
            Ok(())
        },
    )
}

fn run_warmer(flags: &kaniko::cli::WarmerFlags) -> ExitCode {
    use kaniko::cli::warmer_settings::WarmerInvocation;
    let invocation = WarmerInvocation::from_flags(flags, &|k| std::env::var(k).ok());
    run_command(
        &flags.log,
        invocation,
        |i| &i.observe,
        |invocation, runtime| {
            let keychain = kaniko::registry::Keychain::from_env();
            let registry = kaniko::registry::RegistryClient::new(&invocation.registry, keychain)?;
            let warmed = runtime.block_on(kaniko::cache::warmer::warm(&invocation.request, &registry))?;
            let pulled = warmed.iter().filter(|w| w.pulled).count();
            tracing::info!(pulled, kept = warmed.len() - pulled, "cache directory warmed");
            Ok(())
        },
    )
}

fn run_generate_key_pair(flags: &kaniko::cli::GenerateKeyPairFlags) -> ExitCode {
    use kaniko::cli::sign_settings::GenerateKeyPairInvocation;
    run_command(
        &flags.log,
        GenerateKeyPairInvocation::from_flags(flags),
        |i| &i.observe,
        |invocation, _| {
            let password = invocation.password.read(&|k| std::env::var(k).ok())?;
            kaniko::sign::generate_key_pair(&invocation.files, &password)?;
            println!(
                "Private key written to {}",
                invocation.files.private_key.display()
            );
            println!("Public key written to {}", invocation.files.public_key.display());
            Ok(())
        },
    )
}

/// `kaniko verify`: one line per verified digest on stdout; any failure is the command's error.
fn run_verify(flags: &kaniko::cli::VerifyFlags) -> ExitCode {
    use kaniko::cli::sign_settings::VerifyInvocation;
    run_command(
        &flags.log,
        VerifyInvocation::from_flags(flags),
        |i| &i.observe,
        |invocation, runtime| {
            let key = kaniko::sign::VerifyingKey::read(&invocation.key)?;
            let registry = kaniko::registry::RegistryClient::new(
                &invocation.registry,
                kaniko::registry::Keychain::from_env(),
            )?;
            let verified = runtime.block_on(kaniko::sign::verify_image(
                &registry,
                &invocation.image,
                &key,
                invocation.provenance,
            ))?;
            for v in verified {
                println!("{v}");
            }
            Ok(())
        },
    )
}

/// A command that builds nothing here: its validated settings, logging, then `work` on a runtime.
fn run_command<S>(
    log: &kaniko::cli::shared_flags::LogFlags,
    settings: Result<S, kaniko::cli::settings::SettingsError>,
    observe: impl FnOnce(&S) -> &kaniko::observe::settings::ObserveSettings,
    work: impl FnOnce(S, &tokio::runtime::Runtime) -> anyhow::Result<()>,
) -> ExitCode {
    let format = log_format(log);
    let settings = match settings {
        Ok(s) => s,
        Err(e) => return report(&anyhow::Error::from(e), format),
    };
    let observer = match kaniko::observe::logging::init(observe(&settings), false) {
        Ok(o) => o,
        Err(e) => return report(&anyhow::Error::from(e), format),
    };
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| work(settings, &runtime));
    finish(observer, result, format)
}

/// `kaniko cache prune`: the report goes to stdout (it is the command's output), logs to stderr.
fn run_prune(flags: &kaniko::cli::PruneFlags) -> ExitCode {
    let format = log_format(&flags.log);
    let settings = kaniko::cli::prune_settings::PruneInvocation::from_flags(flags);
    let (invocation, observer) = match observed(settings, |i| &i.observe, format) {
        Ok(started) => started,
        Err(code) => return code,
    };
    let result = (|| -> anyhow::Result<()> {
        let client = kaniko::registry::RegistryClient::new(
            &invocation.registry,
            kaniko::registry::Keychain::from_env(),
        )?;
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        let pruned = runtime.block_on(kaniko::cache::prune(&invocation.request, &client))?;
        print!("{pruned}");
        if !pruned.deleted {
            if pruned.would_change() {
                println!(
                    "Dry run: nothing was deleted. Run again with --yes to delete what is listed above."
                );
            } else {
                println!("Nothing to delete.");
            }
        }
        Ok(())
    })();
    finish(observer, result, format)
}

/// Writes what the observer owes (metrics file, report, profile), then reports the result; a
/// failure to write them fails a command that succeeded.
fn finish(
    observer: kaniko::observe::logging::Observer,
    result: anyhow::Result<()>,
    format: LogFormat,
) -> ExitCode {
    let finished = observer.finish(result.is_ok());
    match (result, finished) {
        (Ok(()), Ok(())) => ExitCode::SUCCESS,
        (Ok(()), Err(e)) => report(&anyhow::Error::from(e), format),
        (Err(e), finished) => {
            if let Err(f) = finished {
                kaniko::observe::logging::print_error(format, &f.to_string());
            }
            report(&e, format)
        }
    }
}

/// `build`, `local` and `k8s` (`local` and `k8s` = a multi-platform build with that driver; `local`
/// builds the host's platform when no --multi-platform is given).
fn run_build(flags: &kaniko::cli::BuildFlags, driver: Option<&str>) -> ExitCode {
    let format = log_format(&flags.log);
    let mut flags = flags.clone();
    if let Some(driver) = driver {
        flags.multi.driver = driver.into();
        if flags.multi.multi_platform.is_empty() && driver == "local" {
            flags.multi.multi_platform = vec![kaniko::platform::Platform::host().to_string()];
        }
    }
    let invocation = match BuildInvocation::from_flags(&flags, &|k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => return report(&anyhow::Error::from(e), format),
    };
    let plan = (!invocation.run.is_k8s()).then(|| plan_isolation(&invocation));
    // A process that will only re-execute itself in a user namespace logs to the console and
    // nothing more: its child writes the debug files, serves the metrics and profiles.
    let relay = plan.as_ref().is_some_and(|p| p.reexec);
    let observer = match kaniko::observe::logging::init(&invocation.observe, relay) {
        Ok(o) => o,
        Err(e) => return report(&anyhow::Error::from(e), format),
    };
    // A relaying process's child parses the same flags and says this itself.
    if !relay {
        for warning in &invocation.notes.warnings {
            tracing::warn!("{warning}");
        }
        for note in &invocation.notes.debug {
            tracing::debug!("{note}");
        }
    }
    // The Kubernetes driver runs nothing here; its pods choose their own isolation.
    let Some(plan) = plan else {
        let result = build(invocation.run, Ok(sandbox::Isolation::Container));
        return finish(observer, result, format);
    };
    let isolation = match choose_isolation(&invocation, plan) {
        Isolation::Decided(i) => i,
        Isolation::Exit(code) => return code,
    };
    let result = build(invocation.run, isolation);
    finish(observer, result, format)
}

enum Isolation {
    Decided(Result<sandbox::Isolation, sandbox::SandboxError>),
    Exit(ExitCode),
}

/// The isolation the settings resolve to on this host, and whether getting it means re-executing
/// this process in a user namespace (rootless mode outside one).
struct IsolationPlan {
    chosen: Result<sandbox::Isolation, sandbox::SandboxError>,
    reexec: bool,
    is_root: bool,
}

fn plan_isolation(invocation: &BuildInvocation) -> IsolationPlan {
    use sandbox::HostProbe;
    if sandbox::userns::inside() {
        return IsolationPlan {
            chosen: Ok(sandbox::Isolation::Rootless),
            reexec: false,
            is_root: false,
        };
    }
    let facts = sandbox::RealHost.facts();
    let chosen = sandbox::resolve(invocation.isolation, invocation.force, &facts);
    let reexec = matches!(chosen, Ok(sandbox::Isolation::Rootless));
    IsolationPlan {
        chosen,
        reexec,
        is_root: facts.is_root,
    }
}

/// Carries out the plan before the async runtime starts, because rootless mode re-executes the
/// build inside a user namespace (which a multi-threaded process cannot enter). A failure is kept
/// for the build to report only if the Dockerfile has a RUN.
fn choose_isolation(invocation: &BuildInvocation, plan: IsolationPlan) -> Isolation {
    if !plan.reexec {
        return Isolation::Decided(plan.chosen);
    }
    match sandbox::userns::reexec(std::env::args_os().collect()) {
        Ok(code) => Isolation::Exit(ExitCode::from(code)),
        // auto falls back to chroot for root when the namespace cannot be made after all.
        Err(e) if invocation.isolation == sandbox::IsolationChoice::Auto && plan.is_root => {
            tracing::warn!("rootless isolation unavailable ({e}); using chroot");
            Isolation::Decided(Ok(sandbox::Isolation::Chroot))
        }
        Err(e) => Isolation::Exit(report(&anyhow::Error::from(e), invocation.observe.log.format)),
    }
}

fn build(run: BuildRun, isolation: Result<sandbox::Isolation, sandbox::SandboxError>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let cancel = Cancellation::new();
    // The handlers are installed before the build starts, so an early signal is not lost.
    cancel_on_signals(cancel.clone())?;
    let result: anyhow::Result<()> = runtime.block_on(async {
        match run {
            BuildRun::Multi(request) => {
                kaniko::coordinator::build_multi_platform(request, isolation, &cancel)
                    .await
                    .map(|built| tracing::info!(digest = %built.digest(), "image index ready"))
                    .map_err(anyhow::Error::from)
            }
            BuildRun::Single(request) => kaniko::builder::run(request, isolation, &cancel)
                .await
                .map(drop)
                .map_err(anyhow::Error::from),
        }
    });
    // An interrupted build may leave a thread blocked in I/O; waiting for it would undo the interrupt.
    runtime.shutdown_background();
    result
}

/// Turns the first SIGINT or SIGTERM into a cancellation of the build. The signals are watched
/// on a thread of their own with its own small runtime, so that a build blocked in I/O on every
/// worker of the main runtime cannot keep a signal from being noticed.
fn cancel_on_signals(cancel: Cancellation) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let (mut term, mut int) = runtime.block_on(async {
        Ok::<_, std::io::Error>((signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?))
    })?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            runtime.block_on(async move {
                let reason = tokio::select! {
                    _ = int.recv() => "SIGINT",
                    _ = term.recv() => "SIGTERM",
                };
                cancel.cancel(reason);
            })
        })?;
    Ok(())
}

/// Prints `error: <outermost>: <cause>: …` on one line (one JSON record with `--log-format=json`),
/// as CI logs are grepped line by line, and picks the exit code: 128 + the signal number for an
/// interrupted build (as a shell reports a killed process), the status of the RUN command that
/// failed the build (kaniko's contract), 1 for every other failure.
fn report(err: &anyhow::Error, format: LogFormat) -> ExitCode {
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
    kaniko::observe::logging::print_error(format, &line);
    let build = err.downcast_ref::<kaniko::builder::BuildError>();
    let multi = err.downcast_ref::<kaniko::coordinator::CoordinatorError>();
    let signal = match build {
        Some(kaniko::builder::BuildError::Interrupted(signal)) => Some(*signal),
        Some(_) => None,
        None => multi.and_then(|c| c.interrupted_by()),
    };
    let run_status = build
        .and_then(|b| b.run_exit_status())
        .or_else(|| multi.and_then(|c| c.run_exit_status()));
    match (signal, run_status) {
        (Some("SIGINT"), _) => ExitCode::from(130),
        (Some("SIGTERM"), _) => ExitCode::from(143),
        (_, Some(status)) => ExitCode::from(status),
        _ => ExitCode::FAILURE,
    }
}
