// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Which words of which instruction Docker expands, applied to a parsed instruction: the executor
//! calls [`Instruction::expanded`] with the stage's current environment right before running it.

use super::error::{DockerfileError, ErrorKind, Location};
use super::expand::{expand_heredoc, expand_word, expand_words, ExpandError, Lookup};
use super::instruction::{Add, ArgDecl, Copy, Instruction, InstructionKind, KeyValue, Run, Source};

impl ExpandError {
    /// Locates this failure at the instruction that was being expanded.
    pub fn at(&self, file: &str, location: Location) -> DockerfileError {
        DockerfileError::new(
            file,
            location,
            ErrorKind::Expansion,
            self.message.clone(),
            self.word.clone(),
        )
    }
}

struct Expander<'a> {
    escape: char,
    lookup: Lookup<'a>,
}

impl Expander<'_> {
    fn word(&self, w: &str) -> Result<String, ExpandError> {
        expand_word(w, self.escape, self.lookup)
    }

    fn opt(&self, w: &Option<String>) -> Result<Option<String>, ExpandError> {
        w.as_deref().map(|w| self.word(w)).transpose()
    }

    fn list(&self, ws: &[String]) -> Result<Vec<String>, ExpandError> {
        ws.iter().map(|w| self.word(w)).collect()
    }

    fn pairs(&self, kvs: &[KeyValue]) -> Result<Vec<KeyValue>, ExpandError> {
        kvs.iter()
            .map(|kv| {
                Ok(KeyValue {
                    key: self.word(&kv.key)?,
                    value: self.word(&kv.value)?,
                    legacy: kv.legacy,
                })
            })
            .collect()
    }

    fn sources(&self, sources: &[Source]) -> Result<Vec<Source>, ExpandError> {
        sources
            .iter()
            .map(|s| match s {
                Source::Path(p) => Ok(Source::Path(self.word(p)?)),
                Source::Heredoc(h) if h.expand => {
                    let mut h = h.clone();
                    h.content = expand_heredoc(&h.content, self.lookup)?;
                    Ok(Source::Heredoc(h))
                }
                Source::Heredoc(h) => Ok(Source::Heredoc(h.clone())),
            })
            .collect()
    }
}

impl InstructionKind {
    /// This instruction with the words Docker expands replaced by their expansion in `lookup`
    /// (see the module docs of [`super`] for the list). Instructions Docker does not expand come
    /// back unchanged. EXPOSE ports are split into words after expansion.
    pub fn expanded(&self, escape: char, lookup: Lookup<'_>) -> Result<InstructionKind, ExpandError> {
        let x = Expander { escape, lookup };
        Ok(match self {
            InstructionKind::Env(kvs) => InstructionKind::Env(x.pairs(kvs)?),
            InstructionKind::Label(kvs) => InstructionKind::Label(x.pairs(kvs)?),
            InstructionKind::Expose(ports) => {
                let mut out = Vec::new();
                for p in ports {
                    out.extend(expand_words(p, escape, lookup)?);
                }
                InstructionKind::Expose(out)
            }
            InstructionKind::Volume(v) => InstructionKind::Volume(x.list(v)?),
            InstructionKind::User(u) => InstructionKind::User(x.word(u)?),
            InstructionKind::Workdir(w) => InstructionKind::Workdir(x.word(w)?),
            InstructionKind::Stopsignal(s) => InstructionKind::Stopsignal(x.word(s)?),
            InstructionKind::Arg(decls) => InstructionKind::Arg(
                decls
                    .iter()
                    .map(|d| {
                        Ok(ArgDecl {
                            name: d.name.clone(),
                            default: x.opt(&d.default)?,
                        })
                    })
                    .collect::<Result<_, ExpandError>>()?,
            ),
            InstructionKind::Copy(c) => InstructionKind::Copy(Copy {
                from: x.opt(&c.from)?,
                chown: x.opt(&c.chown)?,
                chmod: x.opt(&c.chmod)?,
                excludes: x.list(&c.excludes)?,
                sources: x.sources(&c.sources)?,
                dest: x.word(&c.dest)?,
                ..c.clone()
            }),
            InstructionKind::Add(a) => InstructionKind::Add(Add {
                chown: x.opt(&a.chown)?,
                chmod: x.opt(&a.chmod)?,
                excludes: x.list(&a.excludes)?,
                checksum: x.opt(&a.checksum)?,
                sources: x.sources(&a.sources)?,
                dest: x.word(&a.dest)?,
                ..a.clone()
            }),
            InstructionKind::From(f) => {
                let mut f = f.clone();
                f.base = x.word(&f.base)?;
                f.platform = x.opt(&f.platform)?;
                InstructionKind::From(f)
            }
            // Only the --mount values: the command is the shell's to expand.
            InstructionKind::Run(r) => InstructionKind::Run(Run {
                mounts: x.list(&r.mounts)?,
                ..r.clone()
            }),
            other @ (InstructionKind::Cmd(_)
            | InstructionKind::Entrypoint(_)
            | InstructionKind::Shell(_)
            | InstructionKind::Healthcheck(_)
            | InstructionKind::Maintainer(_)
            | InstructionKind::Onbuild(_)) => other.clone(),
        })
    }
}

impl Instruction {
    /// [`InstructionKind::expanded`], keeping location and original text.
    pub fn expanded(&self, escape: char, lookup: Lookup<'_>) -> Result<Instruction, ExpandError> {
        Ok(Instruction {
            location: self.location,
            original: self.original.clone(),
            kind: self.kind.expanded(escape, lookup)?,
        })
    }
}
