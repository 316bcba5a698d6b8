// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Validation against the OCI image-spec's own JSON schemas (Debian's
//! golang-github-opencontainers-image-spec-dev ships them; `hack/setup.sh` installs it).
//!
//! A small draft-04 validator covering exactly the keywords those schemas use: `$ref` (to another
//! schema file, to a fragment of one, or within the current file), `type`, `properties`, `required`,
//! `items`, `minItems`, `minimum`, `maximum`, `oneOf`, `enum`, `pattern` and `patternProperties`
//! (`format: uri` is not checked). An unknown keyword that would constrain is a panic, so a newer
//! schema cannot pass silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub const SCHEMA_DIR: &str = "/usr/share/gocode/src/github.com/opencontainers/image-spec/schema";

/// The schema files, by file name.
pub struct Schemas {
    files: BTreeMap<String, Value>,
}

impl Schemas {
    pub fn load() -> Schemas {
        let dir = PathBuf::from(SCHEMA_DIR);
        assert!(
            dir.is_dir(),
            "{SCHEMA_DIR} is missing: run hack/setup.sh (it installs golang-github-opencontainers-image-spec-dev)"
        );
        let mut files = BTreeMap::new();
        for entry in fs_err::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let value: Value = serde_json::from_slice(&fs_err::read(&path).unwrap()).unwrap();
                files.insert(name, value);
            }
        }
        Schemas { files }
    }

    /// Errors of `doc` against the schema file `name` (empty when valid).
    pub fn errors(&self, name: &str, doc: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        let schema = self.files.get(name).unwrap_or_else(|| panic!("no schema {name}"));
        self.check(name, schema, doc, "$", &mut errors);
        errors
    }

    /// Panics with every error unless `doc` is valid against `name`.
    pub fn assert_valid(&self, name: &str, doc: &Value, what: &str) {
        let errors = self.errors(name, doc);
        assert!(
            errors.is_empty(),
            "{what} is not valid against {name}:\n{}\n{doc:#}",
            errors.join("\n")
        );
    }

    fn resolve<'a>(&'a self, file: &str, reference: &str) -> (String, &'a Value) {
        let (path, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let file = if path.is_empty() {
            file.to_owned()
        } else {
            Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        };
        let mut node = self
            .files
            .get(&file)
            .unwrap_or_else(|| panic!("$ref to unknown schema {file}"));
        for part in fragment.split('/').filter(|p| !p.is_empty()) {
            node = node
                .get(part)
                .unwrap_or_else(|| panic!("$ref {reference}: no {part}"));
        }
        (file, node)
    }

    fn check(&self, file: &str, schema: &Value, doc: &Value, at: &str, errors: &mut Vec<String>) {
        let Some(obj) = schema.as_object() else {
            return;
        };
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            let (file, target) = self.resolve(file, reference);
            self.check(&file, target, doc, at, errors);
            return;
        }
        for key in obj.keys() {
            let known = [
                "description",
                "$schema",
                "id",
                "definitions",
                "type",
                "properties",
                "required",
                "items",
                "minItems",
                "minimum",
                "maximum",
                "oneOf",
                "pattern",
                "patternProperties",
                "format",
                "enum",
            ];
            assert!(
                known.contains(&key.as_str()),
                "schema keyword {key:?} ({file}) is not supported by this validator"
            );
        }
        if let Some(t) = obj.get("type") {
            let types: Vec<&str> = match t {
                Value::String(s) => vec![s.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                other => panic!("type {other}"),
            };
            let ok = types.iter().any(|t| match *t {
                "object" => doc.is_object(),
                "array" => doc.is_array(),
                "string" => doc.is_string(),
                "integer" => doc.is_i64() || doc.is_u64(),
                "number" => doc.is_number(),
                "boolean" => doc.is_boolean(),
                "null" => doc.is_null(),
                other => panic!("type {other:?}"),
            });
            if !ok {
                errors.push(format!("{at}: expected {t}, got {doc}"));
                return;
            }
        }
        if let Some(allowed) = obj.get("enum").and_then(Value::as_array) {
            if !allowed.contains(doc) {
                errors.push(format!(
                    "{at}: {doc} is not one of {}",
                    Value::Array(allowed.clone())
                ));
            }
        }
        if let Some(one_of) = obj.get("oneOf").and_then(Value::as_array) {
            let matching = one_of
                .iter()
                .filter(|s| {
                    let mut e = Vec::new();
                    self.check(file, s, doc, at, &mut e);
                    e.is_empty()
                })
                .count();
            if matching != 1 {
                errors.push(format!(
                    "{at}: matches {matching} of the oneOf alternatives, not exactly one"
                ));
            }
        }
        if let Some(n) = doc.as_f64() {
            if let Some(min) = obj.get("minimum").and_then(Value::as_f64) {
                if n < min {
                    errors.push(format!("{at}: {n} < minimum {min}"));
                }
            }
            if let Some(max) = obj.get("maximum").and_then(Value::as_f64) {
                if n > max {
                    errors.push(format!("{at}: {n} > maximum {max}"));
                }
            }
        }
        if let (Some(pattern), Some(s)) = (obj.get("pattern").and_then(Value::as_str), doc.as_str()) {
            if !regex::Regex::new(pattern).unwrap().is_match(s) {
                errors.push(format!("{at}: {s:?} does not match {pattern}"));
            }
        }
        if let Some(items) = doc.as_array() {
            if let Some(min) = obj.get("minItems").and_then(Value::as_u64) {
                if (items.len() as u64) < min {
                    errors.push(format!("{at}: {} items, fewer than {min}", items.len()));
                }
            }
            if let Some(item_schema) = obj.get("items") {
                for (i, item) in items.iter().enumerate() {
                    self.check(file, item_schema, item, &format!("{at}[{i}]"), errors);
                }
            }
        }
        if let Some(map) = doc.as_object() {
            if let Some(required) = obj.get("required").and_then(Value::as_array) {
                for r in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(r) {
                        errors.push(format!("{at}: missing required {r:?}"));
                    }
                }
            }
            if let Some(props) = obj.get("properties").and_then(Value::as_object) {
                for (k, s) in props {
                    if let Some(v) = map.get(k) {
                        self.check(file, s, v, &format!("{at}.{k}"), errors);
                    }
                }
            }
            if let Some(patterns) = obj.get("patternProperties").and_then(Value::as_object) {
                for (pattern, s) in patterns {
                    let re = regex::Regex::new(pattern).unwrap();
                    for (k, v) in map.iter().filter(|(k, _)| re.is_match(k)) {
                        self.check(file, s, v, &format!("{at}.{k}"), errors);
                    }
                }
            }
        }
    }
}
