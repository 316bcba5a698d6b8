// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Unit tests of the whole front end: one per construct, Docker's documented examples included.

use super::*;

fn p(src: &str) -> Dockerfile {
    match parse(src, "Dockerfile") {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

fn err(src: &str) -> DockerfileError {
    match parse(src, "Dockerfile") {
        Ok(d) => panic!("expected an error, got {d:#?}"),
        Err(e) => e,
    }
}

fn kinds(src: &str) -> Vec<InstructionKind> {
    p(src)
        .stages
        .into_iter()
        .flat_map(|s| s.instructions)
        .map(|i| i.kind)
        .collect()
}

fn one(src: &str) -> InstructionKind {
    let mut k = kinds(&format!("FROM scratch\n{src}"));
    assert_eq!(k.len(), 1, "{src}");
    k.remove(0)
}

#[test]
fn unknown_instruction_error_format() {
    let e = err("FROM a\n\nFORM b\n");
    assert_eq!(e.to_string(), "Dockerfile:3:1: unknown instruction: \"FORM\"");
    assert_eq!(e.kind, ErrorKind::UnknownInstruction);
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn map(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn stages_names_platform_and_locations() {
    let d = p(
        "ARG V=1\nFROM --platform=$BUILDPLATFORM golang:${V} AS Build\nRUN x\n\n  from build\nCMD [\"a\"]\n",
    );
    assert_eq!(d.global_args.len(), 1);
    assert_eq!(d.stages.len(), 2);
    let s0 = &d.stages[0];
    assert_eq!(
        (s0.index, s0.name.as_deref(), s0.base.as_str()),
        (0, Some("build"), "golang:${V}")
    );
    assert_eq!(s0.platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(
        s0.location,
        Location {
            line: 2,
            column: 1,
            end_line: 2
        }
    );
    let s1 = &d.stages[1];
    assert_eq!(
        (
            s1.name.as_deref(),
            s1.base.as_str(),
            s1.location.line,
            s1.location.column
        ),
        (None, "build", 5, 3)
    );
    assert_eq!(s1.instructions[0].location.line, 6);
    assert_eq!(s1.display_name(), "stage-1");
}

#[test]
fn instruction_names_are_case_insensitive() {
    assert!(matches!(one("run echo"), InstructionKind::Run(_)));
    assert!(matches!(one("Workdir /x"), InstructionKind::Workdir(_)));
}

#[test]
fn run_forms_and_flags() {
    let InstructionKind::Run(r) = one("RUN --mount=type=cache,target=/c --mount=type=secret,id=s --network=none --security=insecure echo $HOME") else {
        panic!()
    };
    assert_eq!(r.mounts, strs(&["type=cache,target=/c", "type=secret,id=s"]));
    assert_eq!(
        (r.network.as_deref(), r.security.as_deref()),
        (Some("none"), Some("insecure"))
    );
    assert_eq!(r.command, CommandLine::Shell("echo $HOME".into()));
    let InstructionKind::Run(r) = one("RUN [\"echo\", \"$HOME\"]") else {
        panic!()
    };
    assert_eq!(r.command, CommandLine::Exec(strs(&["echo", "$HOME"])));
    assert_eq!(err("FROM a\nRUN --mount-type=x a").text, "mount-type");
    let e = err("FROM a\n\nRUN --mount=type=cache,target=/c,colour=blue a");
    assert_eq!(
        (e.location.line, e.kind, e.text.as_str()),
        (3, ErrorKind::Flag, "colour")
    );
    assert!(e.message.contains("unknown key"), "{e}");
    let e = err("FROM a\nRUN --mount=type=tmpfs a");
    assert_eq!(e.location.line, 2);
    assert!(e.message.contains("needs a target"), "{e}");
    // A value that uses a variable is checked once expanded.
    let InstructionKind::Run(r) = one("RUN --mount=type=$T,target=/c a") else {
        panic!()
    };
    assert_eq!(r.mounts, strs(&["type=$T,target=/c"]));
    assert_eq!(err("FROM a\nRUN").message, "RUN requires at least one argument");
    assert!(err("FROM a\nRUN [1]").message.contains("strings only"));
}

#[test]
fn cmd_entrypoint_shell() {
    assert_eq!(
        one("CMD [\"a\", \"b\"]"),
        InstructionKind::Cmd(CommandLine::Exec(strs(&["a", "b"])))
    );
    assert_eq!(
        one("CMD echo [a]"),
        InstructionKind::Cmd(CommandLine::Shell("echo [a]".into()))
    );
    assert_eq!(
        one("CMD [\"a\" oops"),
        InstructionKind::Cmd(CommandLine::Shell("[\"a\" oops".into()))
    );
    assert_eq!(
        one("ENTRYPOINT [\"/bin/app\"]"),
        InstructionKind::Entrypoint(CommandLine::Exec(strs(&["/bin/app"])))
    );
    assert_eq!(
        one("ENTRYPOINT"),
        InstructionKind::Entrypoint(CommandLine::Shell(String::new()))
    );
    assert_eq!(
        one("SHELL [\"powershell\", \"-command\"]"),
        InstructionKind::Shell(strs(&["powershell", "-command"]))
    );
    assert_eq!(
        err("FROM a\nSHELL /bin/sh -c").message,
        "SHELL requires the arguments to be in JSON form"
    );
    assert_eq!(err("FROM a\nCMD --x=1 a").kind, ErrorKind::Flag);
}

#[test]
fn env_and_label_forms() {
    let kv = |k: &str, v: &str, legacy| KeyValue {
        key: k.into(),
        value: v.into(),
        legacy,
    };
    assert_eq!(
        one("ENV A=1 B=\"two words\" C=three\\ words"),
        InstructionKind::Env(vec![
            kv("A", "1", false),
            kv("B", "\"two words\"", false),
            kv("C", "three\\ words", false)
        ])
    );
    assert_eq!(
        one("ENV LEGACY value with  spaces"),
        InstructionKind::Env(vec![kv("LEGACY", "value with  spaces", true)])
    );
    assert_eq!(
        one("LABEL \"com.example.vendor\"=\"ACME\" version=1.0"),
        InstructionKind::Label(vec![
            kv("\"com.example.vendor\"", "\"ACME\"", false),
            kv("version", "1.0", false)
        ])
    );
    assert_eq!(one("LABEL k v"), InstructionKind::Label(vec![kv("k", "v", true)]));
    assert_eq!(err("FROM a\nENV A").message, "ENV must have two arguments");
    assert_eq!(err("FROM a\nENV A=1 B").text, "B");
    assert_eq!(err("FROM a\nENV =1").message, "ENV names can not be blank");
    assert_eq!(
        err("FROM a\nLABEL").message,
        "LABEL requires at least one argument"
    );
}

#[test]
fn single_value_instructions() {
    assert_eq!(
        one("MAINTAINER Jane <j@x>"),
        InstructionKind::Maintainer("Jane <j@x>".into())
    );
    assert_eq!(one("USER app:app"), InstructionKind::User("app:app".into()));
    assert_eq!(one("WORKDIR /a b"), InstructionKind::Workdir("/a b".into()));
    assert_eq!(
        one("STOPSIGNAL SIGKILL"),
        InstructionKind::Stopsignal("SIGKILL".into())
    );
    assert_eq!(
        err("FROM a\nWORKDIR").message,
        "WORKDIR requires exactly one argument"
    );
    assert_eq!(err("FROM a\nUSER").message, "USER requires exactly one argument");
}

#[test]
fn expose_and_volume() {
    assert_eq!(
        one("EXPOSE 80/tcp  443 $P"),
        InstructionKind::Expose(strs(&["80/tcp", "443", "$P"]))
    );
    assert_eq!(one("VOLUME /a /b"), InstructionKind::Volume(strs(&["/a", "/b"])));
    assert_eq!(one("VOLUME [\"/a b\"]"), InstructionKind::Volume(strs(&["/a b"])));
    assert_eq!(
        err("FROM a\nVOLUME [\" \"]").message,
        "VOLUME specified can not be an empty string"
    );
    assert_eq!(
        err("FROM a\nEXPOSE").message,
        "EXPOSE requires at least one argument"
    );
}

#[test]
fn copy_and_add_flags() {
    let InstructionKind::Copy(c) = one(
        "COPY --from=build --chown=1:2 --chmod=755 --link --parents --exclude=*.md --exclude=x src1 src2 /dst/",
    ) else {
        panic!()
    };
    assert_eq!(c.from.as_deref(), Some("build"));
    assert_eq!(
        (c.chown.as_deref(), c.chmod.as_deref()),
        (Some("1:2"), Some("755"))
    );
    assert!(c.link && c.parents && !c.json);
    assert_eq!(c.excludes, strs(&["*.md", "x"]));
    assert_eq!(
        c.sources,
        vec![Source::Path("src1".into()), Source::Path("src2".into())]
    );
    assert_eq!(c.dest, "/dst/");
    let InstructionKind::Copy(c) = one("COPY [\"a b\", \"/c d/\"]") else {
        panic!()
    };
    assert!(c.json);
    assert_eq!(
        (c.sources, c.dest.as_str()),
        (vec![Source::Path("a b".into())], "/c d/")
    );
    let InstructionKind::Add(a) =
        one("ADD --checksum=sha256:abc --keep-git-dir=true --link=false --chown=u https://x/y.tgz /y")
    else {
        panic!()
    };
    assert_eq!(
        (a.checksum.as_deref(), a.keep_git_dir, a.link),
        (Some("sha256:abc"), Some(true), false)
    );
    assert_eq!(err("FROM a\nADD --from=x a b").text, "from");
    assert_eq!(err("FROM a\nCOPY --link=maybe a b").kind, ErrorKind::Flag);
    assert_eq!(
        err("FROM a\nCOPY --chown=a --chown=b a b").message,
        "duplicate flag specified"
    );
    assert!(err("FROM a\nCOPY onlyone")
        .message
        .starts_with("COPY requires at least two arguments"));
}

#[test]
fn arg_forms() {
    let d = |n: &str, v: Option<&str>| ArgDecl {
        name: n.into(),
        default: v.map(str::to_string),
    };
    assert_eq!(
        one("ARG A B=2 C=\"x y\""),
        InstructionKind::Arg(vec![d("A", None), d("B", Some("2")), d("C", Some("\"x y\""))])
    );
    assert_eq!(err("FROM a\nARG").message, "ARG requires at least one argument");
}

#[test]
fn onbuild_wraps_and_forbids() {
    let InstructionKind::Onbuild(o) = one("ONBUILD RUN echo hi") else {
        panic!()
    };
    assert_eq!(o.expression, "RUN echo hi");
    assert!(matches!(o.trigger.kind, InstructionKind::Run(_)));
    for bad in ["ONBUILD ONBUILD RUN x", "ONBUILD FROM x", "onbuild maintainer me"] {
        assert_eq!(err(&format!("FROM a\n{bad}")).kind, ErrorKind::Placement, "{bad}");
    }
    assert_eq!(err("FROM a\nONBUILD FORM x").kind, ErrorKind::UnknownInstruction);
    let InstructionKind::Onbuild(o) = one("ONBUILD COPY <<EOF /f\nhello\nEOF") else {
        panic!()
    };
    assert_eq!(o.expression, "COPY <<EOF /f\nhello\nEOF");
    let again = parse_instruction(&o.expression, '\\').unwrap();
    assert_eq!(again.kind, o.trigger.kind);
}

#[test]
fn healthcheck_forms() {
    assert_eq!(
        one("HEALTHCHECK NONE"),
        InstructionKind::Healthcheck(Healthcheck::None)
    );
    let InstructionKind::Healthcheck(h) = one(
        "HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=2s --retries=3 CMD curl -f http://localhost/ || exit 1",
    ) else {
        panic!()
    };
    assert_eq!(
        h.test(),
        strs(&["CMD-SHELL", "curl -f http://localhost/ || exit 1"])
    );
    let Healthcheck::Cmd {
        interval,
        timeout,
        start_period,
        start_interval,
        retries,
        ..
    } = h
    else {
        panic!()
    };
    use std::time::Duration;
    assert_eq!(interval, Some(Duration::from_secs(300)));
    assert_eq!(timeout, Some(Duration::from_secs(3)));
    assert_eq!(start_period, Some(Duration::from_secs(90)));
    assert_eq!(start_interval, Some(Duration::from_secs(2)));
    assert_eq!(retries, Some(3));
    let InstructionKind::Healthcheck(h) = one("healthcheck cmd [\"/bin/check\", \"-v\"]") else {
        panic!()
    };
    assert_eq!(h.test(), strs(&["CMD", "/bin/check", "-v"]));
    assert_eq!(
        err("FROM a\nHEALTHCHECK NONE x").message,
        "HEALTHCHECK NONE takes no arguments"
    );
    assert_eq!(
        err("FROM a\nHEALTHCHECK CMD").message,
        "Missing command after HEALTHCHECK CMD"
    );
    assert_eq!(
        err("FROM a\nHEALTHCHECK --retries=-1 CMD x").message,
        "--retries cannot be negative"
    );
    assert_eq!(
        err("FROM a\nHEALTHCHECK --interval=1us CMD x").kind,
        ErrorKind::Flag
    );
    assert_eq!(err("FROM a\nHEALTHCHECK --interval=soon CMD x").text, "soon");
    assert_eq!(err("FROM a\nHEALTHCHECK --every=1s CMD x").text, "every");
    assert_eq!(err("FROM a\nHEALTHCHECK RUN x").text, "RUN");
}

#[test]
fn heredocs_documented_examples() {
    // From the Dockerfile reference, "Here-Documents".
    let src = "# syntax=docker/dockerfile:1\nFROM debian\nRUN <<EOT bash\n  set -ex\n  apt-get update\nEOT\n\
COPY <<-EOT /script.sh\n\techo \"hello ${FOO}\"\n\tEOT\nRUN <<FILE1 cat > file1 && <<FILE2 cat > file2\nI am\nfirst\nFILE1\nI am\nsecond\nFILE2\n\
COPY <<\"EOT\" /app/\n$NOT_EXPANDED\nEOT\nCMD done\n";
    let d = p(src);
    assert_eq!(d.directives.syntax.as_deref(), Some("docker/dockerfile:1"));
    let ins = &d.stages[0].instructions;
    assert_eq!(ins.len(), 5);
    let InstructionKind::Run(r) = &ins[0].kind else {
        panic!()
    };
    assert_eq!(r.command, CommandLine::Shell("<<EOT bash".into()));
    assert_eq!(r.heredocs[0].content, "  set -ex\n  apt-get update\n");
    assert_eq!(
        ins[0].location,
        Location {
            line: 3,
            column: 1,
            end_line: 6
        }
    );
    let InstructionKind::Copy(c) = &ins[1].kind else {
        panic!()
    };
    let Source::Heredoc(h) = &c.sources[0] else {
        panic!()
    };
    assert!(h.chomp && h.expand);
    assert_eq!(h.body(), "echo \"hello ${FOO}\"\n");
    let env = map(&[("FOO", "world")]);
    let InstructionKind::Copy(c) = c_expanded(&ins[1], &env) else {
        panic!()
    };
    let Source::Heredoc(h) = &c.sources[0] else {
        panic!()
    };
    assert_eq!(h.body(), "echo \"hello world\"\n");
    let InstructionKind::Run(r) = &ins[2].kind else {
        panic!()
    };
    let names: Vec<_> = r
        .heredocs
        .iter()
        .map(|h| (h.name.as_str(), h.content.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![("FILE1", "I am\nfirst\n"), ("FILE2", "I am\nsecond\n")]
    );
    let InstructionKind::Copy(c) = c_expanded(&ins[3], &env) else {
        panic!()
    };
    let Source::Heredoc(h) = &c.sources[0] else {
        panic!()
    };
    assert!(!h.expand);
    assert_eq!(h.content, "$NOT_EXPANDED\n");
    assert_eq!(
        ins[4].kind,
        InstructionKind::Cmd(CommandLine::Shell("done".into()))
    );
}

fn c_expanded(i: &Instruction, env: &std::collections::BTreeMap<String, String>) -> InstructionKind {
    i.kind.expanded('\\', &|k| env.get(k).cloned()).unwrap()
}

#[test]
fn heredoc_errors_and_non_heredoc_contexts() {
    let e = err("FROM a\nRUN <<EOF\nno end\n");
    assert_eq!(
        (e.message.as_str(), e.text.as_str(), e.location.line),
        ("unterminated heredoc", "EOF", 2)
    );
    assert!(err("FROM a\nCOPY a <<EOF\nx\nEOF\n")
        .message
        .contains("heredoc as a destination"));
    // Exec form and other instructions do not read heredoc bodies.
    let k = kinds("FROM a\nRUN [\"cat\", \"<<EOF\"]\nCMD echo <<EOF\n");
    assert_eq!(k.len(), 2);
}

#[test]
fn continuations_comments_and_escape_directive() {
    let src =
        "# escape=`\nFROM windows\nRUN dir c:\\ `\n  # comment inside\n\n  && echo done\nCOPY a `  \n b\n";
    let d = p(src);
    assert_eq!(d.escape(), '`');
    let ins = &d.stages[0].instructions;
    assert_eq!(
        ins[0].kind,
        InstructionKind::Run(Run {
            mounts: vec![],
            network: None,
            security: None,
            command: CommandLine::Shell("dir c:\\   && echo done".into()),
            heredocs: vec![]
        })
    );
    assert_eq!(
        ins[0].location,
        Location {
            line: 3,
            column: 1,
            end_line: 6
        }
    );
    let InstructionKind::Copy(c) = &ins[1].kind else {
        panic!()
    };
    assert_eq!(c.dest, "b");
    // The directive is ignored after a comment, so backslash stays the escape character.
    let d = p("# hello\n# escape=`\nFROM a\nRUN a \\\n b\n");
    assert_eq!(d.escape(), '\\');
    assert_eq!(d.stages[0].instructions[0].original, "RUN a  b");
}

#[test]
fn directive_errors_are_located() {
    let e = err("# escape=`\n# escape=\\\nFROM a\n");
    assert_eq!(e.kind, ErrorKind::Directive);
    assert_eq!(e.location.line, 2);
    assert_eq!(err("# escape=x\nFROM a").kind, ErrorKind::Directive);
}

#[test]
fn placement_and_empty_files() {
    assert_eq!(err("RUN x\nFROM a").kind, ErrorKind::Placement);
    assert_eq!(err("ARG A\n").kind, ErrorKind::Placement);
    assert_eq!(err("# only a comment\n\n").message, "file with no instructions");
    assert_eq!(err("FROM a AS x\nFROM b AS X\n").message, "duplicate stage name");
    assert_eq!(err("FROM a AS 1x\n").kind, ErrorKind::Stage);
    assert_eq!(
        err("FROM a b\n").message,
        "FROM requires either one or three arguments"
    );
}

#[test]
fn flag_error_column_points_at_the_flag() {
    let e = err("FROM a\n  COPY --chwon=1 a b\n");
    assert_eq!(e.to_string(), "Dockerfile:2:10: unknown flag (expected one of --from, --chown, --chmod, --link, --parents, --exclude): \"chwon\"");
}

#[test]
fn expanded_instructions_follow_docker_rules() {
    let env = map(&[("P", "80 443"), ("DIR", "/srv"), ("U", "app"), ("SRC", "a")]);
    let l = |k: &str| env.get(k).cloned();
    let e = |src: &str| one(src).expanded('\\', &l).unwrap();
    assert_eq!(
        e("EXPOSE $P 8080"),
        InstructionKind::Expose(strs(&["80", "443", "8080"]))
    );
    assert_eq!(e("WORKDIR $DIR/x"), InstructionKind::Workdir("/srv/x".into()));
    assert_eq!(
        e("USER ${U}:${G:-staff}"),
        InstructionKind::User("app:staff".into())
    );
    assert_eq!(e("VOLUME [\"$DIR\"]"), InstructionKind::Volume(strs(&["/srv"])));
    // RUN, CMD and exec forms are left for the shell.
    assert_eq!(e("RUN echo $DIR"), one("RUN echo $DIR"));
    assert_eq!(e("CMD [\"$DIR\"]"), one("CMD [\"$DIR\"]"));
    // RUN --mount values are expanded, the command is not.
    let InstructionKind::Run(r) = e("RUN --mount=type=cache,target=$DIR/c,id=${U} echo $DIR") else {
        panic!()
    };
    assert_eq!(r.mounts, strs(&["type=cache,target=/srv/c,id=app"]));
    assert_eq!(r.command, CommandLine::Shell("echo $DIR".into()));
    let InstructionKind::Copy(c) = e("COPY --chown=$U --from=${SRC} $SRC/f \"$DIR/dst\"") else {
        panic!()
    };
    assert_eq!((c.from.as_deref(), c.chown.as_deref()), (Some("a"), Some("app")));
    assert_eq!(c.sources, vec![Source::Path("a/f".into())]);
    // Shell-form COPY words are split on blanks before expansion, so the quote is unbalanced.
    assert!(one("COPY a \"b c\"").expanded('\\', &l).is_err());
    assert_eq!(
        e("ENV A=$DIR B=\"$U x\" C='$U'"),
        InstructionKind::Env(vec![
            KeyValue {
                key: "A".into(),
                value: "/srv".into(),
                legacy: false
            },
            KeyValue {
                key: "B".into(),
                value: "app x".into(),
                legacy: false
            },
            KeyValue {
                key: "C".into(),
                value: "$U".into(),
                legacy: false
            },
        ])
    );
    let failure = one("WORKDIR ${NOPE:?set NOPE}").expanded('\\', &l).unwrap_err();
    assert_eq!(
        failure
            .at(
                "Dockerfile",
                Location {
                    line: 4,
                    column: 1,
                    end_line: 4
                }
            )
            .to_string(),
        "Dockerfile:4:1: NOPE: set NOPE: \"${NOPE:?set NOPE}\""
    );
}

#[test]
fn parse_instruction_for_triggers() {
    let i = parse_instruction("COPY `$A b", '`').unwrap();
    let InstructionKind::Copy(c) = i.kind.expanded('`', &|_| Some("x".into())).unwrap() else {
        panic!()
    };
    assert_eq!(c.sources, vec![Source::Path("$A".into())]);
    assert!(parse_instruction("RUN a\nRUN b", '\\').is_err());
    assert!(parse_instruction("", '\\').is_err());
    assert_eq!(
        parse_instruction("NOPE x", '\\').unwrap_err().file,
        ONBUILD_TRIGGER_FILE
    );
}

fn platforms() -> (crate::platform::Platform, crate::platform::Platform) {
    (
        crate::platform::Platform::new("linux", "arm", Some("v7")),
        crate::platform::Platform::new("linux", "amd64", None),
    )
}

#[test]
fn predefined_platform_args() {
    let (target, build) = platforms();
    let a = predefined_args(&target, &build);
    assert_eq!(a["TARGETPLATFORM"], "linux/arm/v7");
    assert_eq!(
        (
            a["TARGETOS"].as_str(),
            a["TARGETARCH"].as_str(),
            a["TARGETVARIANT"].as_str()
        ),
        ("linux", "arm", "v7")
    );
    assert_eq!(
        (
            a["BUILDPLATFORM"].as_str(),
            a["BUILDARCH"].as_str(),
            a["BUILDVARIANT"].as_str()
        ),
        ("linux/amd64", "amd64", "")
    );
    assert_eq!(a.len(), 8);
}

#[test]
fn global_scope_feeds_from_lines_and_build_args_override() {
    let d = p("ARG REG=docker.io\nARG IMG=${REG}/library/alpine\nARG TAG\nARG TARGETARCH\nFROM --platform=$BUILDPLATFORM $IMG:${TAG:-latest}\n");
    let (target, build) = platforms();
    let pre = predefined_args(&target, &build);
    let g = global_scope(&d, &map(&[]), &pre).unwrap();
    assert_eq!(g["IMG"], "docker.io/library/alpine");
    assert!(!g.contains_key("TAG"));
    assert_eq!(
        g["TARGETARCH"], "arm",
        "a valueless global ARG keeps the predefined value"
    );
    let plan = plan_build(&d, &g, &map(&[]), &PlanOptions::default()).unwrap();
    assert_eq!(plan.stages[0].base_name, "docker.io/library/alpine:latest");
    assert_eq!(plan.stages[0].platform.as_deref(), Some("linux/amd64"));
    let args = map(&[("REG", "quay.io"), ("TAG", "3")]);
    let g = global_scope(&d, &args, &pre).unwrap();
    let plan = plan_build(&d, &g, &args, &PlanOptions::default()).unwrap();
    assert_eq!(
        plan.stages[0].base,
        StageRef::Image("quay.io/library/alpine:3".into())
    );
}

#[test]
fn stage_args_need_redeclaration() {
    let d = p("ARG V=global\nFROM a\nARG V\nARG W=${V}-w\nARG X\nFROM b\nARG TARGETOS\n");
    let g = global_scope(&d, &map(&[]), &predefined_args(&platforms().0, &platforms().1)).unwrap();
    let decls = |stage: usize, i: usize| match &d.stages[stage].instructions[i].kind {
        InstructionKind::Arg(v) => v[0].clone(),
        _ => panic!(),
    };
    let none = map(&[]);
    let mut env = map(&[]);
    let v = resolve_arg(&decls(0, 0), '\\', &none, &g, &|k| env.get(k).cloned()).unwrap();
    assert_eq!(v.as_deref(), Some("global"));
    env.insert("V".into(), "global".into());
    let w = resolve_arg(&decls(0, 1), '\\', &none, &g, &|k| env.get(k).cloned()).unwrap();
    assert_eq!(w.as_deref(), Some("global-w"));
    assert_eq!(
        resolve_arg(&decls(0, 2), '\\', &none, &g, &|_| None).unwrap(),
        None
    );
    let over = map(&[("W", "cli"), ("X", "x")]);
    assert_eq!(
        resolve_arg(&decls(0, 1), '\\', &over, &g, &|_| None)
            .unwrap()
            .as_deref(),
        Some("cli")
    );
    assert_eq!(
        resolve_arg(&decls(1, 0), '\\', &none, &g, &|_| None)
            .unwrap()
            .as_deref(),
        Some("linux")
    );
    assert_eq!(
        unused_build_args(
            &d,
            &map(&[("V", "1"), ("HTTP_PROXY", "p"), ("other", "o"), ("no_proxy", "n")])
        ),
        vec!["other".to_string()]
    );
    assert_eq!(
        proxy_env(&map(&[("HTTP_PROXY", "p"), ("V", "1")])),
        map(&[("HTTP_PROXY", "p")])
    );
}

const MULTI: &str = "FROM alpine AS base\nRUN x\nFROM base AS build\nARG FROMSTAGE=base\nCOPY --from=$FROMSTAGE /a /a\n\
FROM golang AS tools\nFROM scratch AS final\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\nCOPY --from=nginx:latest /c /c\nFROM final AS extra\n";

#[test]
fn stage_graph_and_build_order() {
    let d = p(MULTI);
    let g = map(&[]);
    let plan = plan_build(
        &d,
        &g,
        &g,
        &PlanOptions {
            target: Some("FINAL".into()),
            skip_unused_stages: true,
        },
    )
    .unwrap();
    assert_eq!(plan.target, 3);
    assert_eq!(plan.order, vec![0, 1, 3]);
    assert_eq!(plan.needed, [0, 1, 3].into());
    assert_eq!(plan.stages[1].base, StageRef::Stage(0));
    assert_eq!(plan.stages[1].copy_from[0].1, StageRef::Stage(0));
    assert_eq!(plan.stages[3].base, StageRef::Scratch);
    let refs: Vec<_> = plan.stages[3].copy_from.iter().map(|(_, r)| r.clone()).collect();
    assert_eq!(
        refs,
        vec![
            StageRef::Stage(1),
            StageRef::Stage(0),
            StageRef::Image("nginx:latest".into())
        ]
    );
    // Without --skip-unused-stages every stage up to the target is built.
    let plan = plan_build(
        &d,
        &g,
        &g,
        &PlanOptions {
            target: Some("final".into()),
            skip_unused_stages: false,
        },
    )
    .unwrap();
    assert_eq!(plan.order, vec![0, 1, 2, 3]);
    assert_eq!(plan.needed, [0, 1, 3].into());
    // Default target: the last stage.
    let plan = plan_build(&d, &g, &g, &PlanOptions::default()).unwrap();
    assert_eq!((plan.target, plan.order.len()), (4, 5));
    // A build arg changes which stage COPY --from names.
    let args = map(&[("FROMSTAGE", "tools")]);
    let plan = plan_build(
        &d,
        &g,
        &args,
        &PlanOptions {
            target: Some("build".into()),
            skip_unused_stages: true,
        },
    )
    .unwrap();
    assert_eq!(plan.order, vec![0, 2, 1]);
}

#[test]
fn forward_copy_from_is_allowed_but_cycles_are_not() {
    let d = p("FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\n");
    let g = map(&[]);
    let plan = plan_build(
        &d,
        &g,
        &g,
        &PlanOptions {
            target: Some("one".into()),
            skip_unused_stages: true,
        },
    )
    .unwrap();
    assert_eq!(plan.order, vec![1, 0]);
    let d = p("FROM busybox AS stage0\nCOPY --from=stage0 f1 /sub/\n");
    let e = plan_build(&d, &g, &g, &PlanOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Dockerfile:1:1: circular dependency detected on stage: \"stage0\""
    );
    let d = p("FROM busybox AS stage0\nCOPY --from=stage2 f1 /sub/\nFROM busybox AS stage1\nCOPY --from=stage0 f2 /sub/\nFROM busybox AS stage2\nCOPY --from=stage1 f2 /sub/\n");
    assert_eq!(
        plan_build(&d, &g, &g, &PlanOptions::default())
            .unwrap_err()
            .message,
        "circular dependency detected on stage"
    );
    // FROM only sees earlier stages: a later name is an image.
    let d = p("FROM later AS first\nFROM x AS later\n");
    assert_eq!(
        plan_build(&d, &g, &g, &PlanOptions::default()).unwrap().stages[0].base,
        StageRef::Image("later".into())
    );
}

#[test]
fn stage_errors() {
    let g = map(&[]);
    let d = p("FROM a AS x\nCOPY --from=5 /a /a\n");
    let e = plan_build(&d, &g, &g, &PlanOptions::default()).unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.text.as_str(), e.location.line),
        ("invalid stage index", "5", 2)
    );
    let d = p("FROM a AS x\nFROM b AS y\n");
    let e = plan_build(
        &d,
        &g,
        &g,
        &PlanOptions {
            target: Some("z".into()),
            skip_unused_stages: false,
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Dockerfile: --target stage not found (available stages: x, y): \"z\""
    );
    let d = p("ARG EMPTY\nFROM $EMPTY\n");
    assert_eq!(
        plan_build(&d, &g, &g, &PlanOptions::default())
            .unwrap_err()
            .message,
        "base name should not be blank"
    );
    let d = p("FROM a\nCOPY --from=${X:?need X} /a /a\n");
    assert_eq!(
        plan_build(&d, &g, &g, &PlanOptions::default()).unwrap_err().kind,
        ErrorKind::Expansion
    );
}
