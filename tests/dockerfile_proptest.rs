// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Property tests of the Dockerfile front end: arbitrary text and Dockerfile-like line soups never
//! make the parser, the expander or the stage planner panic, and generated valid Dockerfiles parse
//! into the stages and instructions they were built from.

use std::collections::BTreeMap;

use kaniko::dockerfile::{
    expand_heredoc, expand_word, expand_words, global_scope, parse, parse_instruction, parse_run_mount,
    plan_build, predefined_args, PlanOptions,
};
use kaniko::platform::Platform;
use proptest::prelude::*;

/// Runs everything downstream of a successful parse, so those paths see odd input too.
fn exercise(src: &str) {
    let Ok(df) = parse(src, "Dockerfile") else {
        return;
    };
    let host = Platform::new("linux", "amd64", None);
    let Ok(global) = global_scope(&df, &BTreeMap::new(), &predefined_args(&host, &host)) else {
        return;
    };
    for skip in [false, true] {
        let _ = plan_build(
            &df,
            &global,
            &BTreeMap::new(),
            &PlanOptions {
                target: None,
                skip_unused_stages: skip,
            },
        );
    }
    for stage in &df.stages {
        for instruction in &stage.instructions {
            let _ = instruction.expanded(df.escape(), &|k| global.get(k).cloned());
        }
    }
}

const FRAGMENTS: &[&str] = &[
    "FROM alpine",
    "from scratch AS b",
    "FROM --platform=$BUILDPLATFORM x AS y",
    "FROM",
    "RUN echo hi",
    "RUN <<EOF",
    "RUN <<-'EOF' cat",
    "COPY <<EOF /x",
    "ADD <<\"A\" <<B /d/",
    "EOF",
    "\tEOF",
    "A",
    "B",
    "\\",
    "`",
    "# escape=`",
    "# escape=\\",
    "# syntax=x",
    "# comment \\",
    "",
    "   ",
    "CMD [\"a\", \"b\"]",
    "CMD [1]",
    "ENTRYPOINT [",
    "SHELL [\"sh\"]",
    "ENV A=1 B=\"2 3\"",
    "ENV A",
    "LABEL a b",
    "ARG X=${Y:-z}",
    "ARG",
    "EXPOSE $P 80",
    "VOLUME [\"\"]",
    "USER ${U:?x}",
    "WORKDIR $W",
    "ONBUILD RUN x",
    "RUN --mount=type=cache,target=$T,id=${I:-x},sharing=locked true",
    "RUN --mount=from=b,target=/m,rw --mount=type=tmpfs,target=/t,size=1k true",
    "ONBUILD ONBUILD x",
    "ONBUILD COPY <<EOF /f",
    "HEALTHCHECK --interval=1s CMD x",
    "HEALTHCHECK NONE",
    "HEALTHCHECK --retries=99999999999 CMD x",
    "STOPSIGNAL 9",
    "COPY --from=0 a b",
    "COPY --from=y a b",
    "COPY --from=${S} a b \\",
    "COPY --exclude=x --exclude=y a b",
    "RUN --mount=type=cache --network=none x",
    "RUN --bogus x",
    "MAINTAINER me",
    "FORM x",
    "\u{feff}FROM a",
    "RUN \"unterminated",
    "RUN a \\  ",
    "${",
    "'",
    "\"",
    "\r",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
            1 => "[ -~\t]{0,30}",
            1 => ".{0,12}",
        ],
        0..30,
    )
    .prop_map(|lines| lines.join("\n"))
}

/// One valid instruction line for stage `earlier` (its COPY --from names an earlier stage).
fn instruction(earlier: usize) -> impl Strategy<Value = String> {
    let word = "[a-z][a-z0-9_]{0,8}";
    let path = "/[a-z0-9_.]{1,10}";
    prop_oneof![
        (word, word).prop_map(|(a, b)| format!("RUN echo {a} && ls {b}")),
        (word, path).prop_map(|(a, p)| format!("RUN --mount=type=cache,target={p} [\"echo\", \"{a}\"]")),
        (path, path).prop_map(|(s, d)| format!("COPY --chown=1:1 --link {s} {d}/")),
        (path, path, 0..earlier.max(1)).prop_map(move |(s, d, from)| {
            // Only earlier stages (or an image), so the generated graph has no cycle.
            let from = if earlier == 0 {
                "busybox:latest".to_string()
            } else {
                from.to_string()
            };
            format!("COPY --from={from} {s} {d}")
        }),
        (path, path).prop_map(|(s, d)| format!("ADD --chmod=644 {s} {d}")),
        (word, word).prop_map(|(k, v)| format!("ENV {}={v} OTHER=\"{v} x\"", k.to_uppercase())),
        (word, word).prop_map(|(k, v)| format!("LABEL {k}=\"{v}\"")),
        (word, word).prop_map(|(k, v)| format!("ARG {}={v}", k.to_uppercase())),
        path.prop_map(|p| format!("WORKDIR {p}")),
        path.prop_map(|p| format!("VOLUME [\"{p}\"]")),
        word.prop_map(|u| format!("USER {u}")),
        (1u16..65535).prop_map(|p| format!("EXPOSE {p}/tcp")),
        word.prop_map(|c| format!("CMD [\"{c}\"]")),
        word.prop_map(|c| format!("ENTRYPOINT {c} --flag")),
        word.prop_map(|c| format!("ONBUILD RUN {c}")),
        word.prop_map(|c| format!("HEALTHCHECK --interval=30s --retries=2 CMD {c}")),
        Just("STOPSIGNAL SIGTERM".to_string()),
        Just("SHELL [\"/bin/sh\", \"-c\"]".to_string()),
        (word, word).prop_map(|(a, b)| format!("RUN {a} \\\n    && {b}")),
        word.prop_map(|a| format!("RUN <<EOF\n{a}\n$HOME\nEOF")),
        (word, path).prop_map(|(a, p)| format!("COPY <<-END {p}\n\t{a}\n\tEND")),
    ]
}

/// A valid Dockerfile and the number of instructions of each stage.
fn valid_dockerfile() -> impl Strategy<Value = (String, Vec<usize>)> {
    (1usize..5)
        .prop_flat_map(|stages| {
            (0..stages)
                .map(|i| prop::collection::vec(instruction(i), 0..8))
                .collect::<Vec<_>>()
        })
        .prop_map(|stages| {
            let mut src = String::from("# syntax=docker/dockerfile:1\nARG BASE=alpine\n");
            let mut counts = Vec::new();
            for (i, body) in stages.iter().enumerate() {
                src.push_str(&format!("\n# stage {i}\nFROM ${{BASE}}:3 AS s{i}\n"));
                for line in body {
                    src.push_str(line);
                    src.push('\n');
                }
                counts.push(body.len());
            }
            (src, counts)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in ".{0,400}") {
        exercise(&src);
        let _ = parse_instruction(&src, '\\');
        let _ = parse_instruction(&src, '`');
    }

    #[test]
    fn line_soups_never_panic(src in soup()) {
        exercise(&src);
    }

    #[test]
    fn expander_never_panics(word in ".{0,200}", soup_word in "[$\\\\{}:?#%/+\\-'\"a-c ]{0,60}") {
        let env: BTreeMap<String, String> =
            [("a", "x y"), ("b", ""), ("c", "/usr/bin")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let lookup = |k: &str| env.get(k).cloned();
        for w in [&word, &soup_word] {
            let _ = expand_word(w, '\\', &lookup);
            let _ = expand_word(w, '`', &lookup);
            let _ = expand_words(w, '\\', &lookup);
            let _ = expand_heredoc(w, &lookup);
        }
    }

    #[test]
    fn mount_values_never_panic(value in "(type|target|dst|src|source|from|id|rw|ro|sharing|mode|uid|gid|size|=|,|[a-z0-9/$]){0,30}", any in ".{0,80}") {
        let _ = parse_run_mount(&value);
        let _ = parse_run_mount(&any);
    }

    #[test]
    fn plain_words_expand_to_themselves(word in "[a-zA-Z0-9_./:@=,+-]{0,40}") {
        prop_assert_eq!(expand_word(&word, '\\', &|_| None).unwrap(), word);
    }

    #[test]
    fn generated_dockerfiles_parse((src, counts) in valid_dockerfile()) {
        let df = parse(&src, "Dockerfile").map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        let got: Vec<usize> = df.stages.iter().map(|s| s.instructions.len()).collect();
        prop_assert_eq!(got, counts);
        let host = Platform::new("linux", "amd64", None);
        let global = global_scope(&df, &BTreeMap::new(), &predefined_args(&host, &host)).unwrap();
        let plan = plan_build(&df, &global, &BTreeMap::new(), &PlanOptions::default()).unwrap();
        prop_assert_eq!(plan.order.len(), df.stages.len());
        for stage in &df.stages {
            prop_assert_eq!(&plan.stages[stage.index].base_name, "alpine:3");
            for instruction in &stage.instructions {
                prop_assert!(instruction.expanded(df.escape(), &|k| global.get(k).cloned()).is_ok());
            }
        }
    }
}
