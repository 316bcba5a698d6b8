// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! `WWW-Authenticate` challenges (RFC 7235) as registries send them: `Bearer realm=…,service=…,scope=…`
//! for token servers, `Basic realm=…` for htpasswd-style registries.

/// The authentication a registry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// The preferred challenge among all `WWW-Authenticate` header values: Bearer over Basic, unknown
    /// schemes ignored.
    pub fn select<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut basic = false;
        for value in values {
            for (scheme, params) in parse_header(value) {
                if scheme.eq_ignore_ascii_case("bearer") {
                    let get = |k: &str| {
                        params
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case(k))
                            .map(|(_, v)| v.clone())
                    };
                    if let Some(realm) = get("realm").filter(|r| !r.is_empty()) {
                        return Some(Self::Bearer {
                            realm,
                            service: get("service"),
                            scope: get("scope"),
                        });
                    }
                } else if scheme.eq_ignore_ascii_case("basic") {
                    basic = true;
                }
            }
        }
        basic.then_some(Self::Basic)
    }

    /// The scheme name for messages.
    pub fn scheme(&self) -> &'static str {
        match self {
            Self::Basic => "Basic",
            Self::Bearer { .. } => "Bearer",
        }
    }
}

/// Parses one header value into `(scheme, [(param, value)])` challenges. Several challenges may share one
/// header (`Bearer realm="a", Basic realm="b"`), so a token not followed by `=` starts a new challenge.
pub fn parse_header(value: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let chars: Vec<char> = value.chars().collect();
    let mut i = 0;
    let skip_ws_commas = |i: &mut usize| {
        while *i < chars.len() && (chars[*i].is_whitespace() || chars[*i] == ',') {
            *i += 1;
        }
    };
    loop {
        skip_ws_commas(&mut i);
        if i >= chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ',' && chars[i] != '=' {
            i += 1;
        }
        let token: String = chars[start..i].iter().collect();
        let mut j = i;
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        if j < chars.len() && chars[j] == '=' && !out.is_empty() {
            // A parameter of the current challenge.
            i = j + 1;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            let mut val = String::new();
            if i < chars.len() && chars[i] == '"' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    val.push(chars[i]);
                    i += 1;
                }
                i += 1;
            } else {
                while i < chars.len() && chars[i] != ',' && !chars[i].is_whitespace() {
                    val.push(chars[i]);
                    i += 1;
                }
            }
            if let Some(last) = out.last_mut() {
                last.1.push((token.to_ascii_lowercase(), val));
            }
        } else if !token.is_empty() {
            out.push((token, Vec::new()));
        } else {
            // A stray '=' with no challenge: skip it.
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_hub_bearer() {
        let c = Challenge::select([
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
        ]);
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/busybox:pull".into()),
            })
        );
    }

    #[test]
    fn parses_basic_and_prefers_bearer() {
        assert_eq!(
            Challenge::select([r#"Basic realm="Registry Realm""#]),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::select(["basic"]), Some(Challenge::Basic));
        let c =
            Challenge::select([r#"Basic realm="x", Bearer realm="https://t/token", service=reg"#]).unwrap();
        assert_eq!(
            c,
            Challenge::Bearer {
                realm: "https://t/token".into(),
                service: Some("reg".into()),
                scope: None
            }
        );
        let c = Challenge::select(["Basic realm=x", r#"Bearer realm="https://t""#]).unwrap();
        assert_eq!(c.scheme(), "Bearer");
    }

    #[test]
    fn handles_spaces_escapes_and_garbage() {
        let parsed = parse_header(r#"Bearer  realm = "a\"b" , scope="x y""#);
        assert_eq!(
            parsed,
            vec![(
                "Bearer".to_string(),
                vec![("realm".into(), "a\"b".into()), ("scope".into(), "x y".into())]
            )]
        );
        assert_eq!(Challenge::select(["Negotiate abc"]), None);
        assert_eq!(
            Challenge::select(["Bearer service=x"]),
            None,
            "a Bearer challenge without realm is unusable"
        );
        assert_eq!(Challenge::select([""]), None);
        assert_eq!(
            Challenge::select(["=,=\""]),
            None,
            "garbage neither panics nor yields a challenge"
        );
    }
}
