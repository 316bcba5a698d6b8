// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! Resolves `user[:group]` specs (COPY --chown, WORKDIR ownership) against a stage's `/etc/passwd`
//! and `/etc/group`, the way docker build does: numeric ids are taken as they are, names must exist.

/// Why a user or group spec cannot be resolved.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UserError {
    #[error("unable to find user {0:?}: no matching entries in /etc/passwd")]
    UnknownUser(String),
    #[error("unable to find group {0:?}: no matching entries in /etc/group")]
    UnknownGroup(String),
    #[error("invalid user spec {0:?}")]
    Invalid(String),
}

/// The user database of a stage's filesystem.
#[derive(Debug, Default, Clone)]
pub struct UserDb {
    /// (name, uid, primary gid)
    users: Vec<(String, u32, u32)>,
    /// (name, gid)
    groups: Vec<(String, u32)>,
}

impl UserDb {
    /// Parses the contents of /etc/passwd and /etc/group; malformed lines are skipped, as libc does.
    pub fn parse(passwd: &str, group: &str) -> Self {
        let users = passwd
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                Some((
                    f.first()?.to_string(),
                    f.get(2)?.parse().ok()?,
                    f.get(3)?.parse().ok()?,
                ))
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                Some((f.first()?.to_string(), f.get(2)?.parse().ok()?))
            })
            .collect();
        Self { users, groups }
    }

    /// Resolves `user`, `user:group`, `uid`, `uid:gid` (names or ids) to numeric ids. A user given
    /// without a group gets its primary group from /etc/passwd, or the same number when it is numeric
    /// and unknown (docker's behaviour for `--chown=1234`).
    pub fn resolve(&self, spec: &str) -> Result<(u32, u32), UserError> {
        let (user, group) = match spec.split_once(':') {
            Some((u, g)) => (u, Some(g)),
            None => (spec, None),
        };
        if user.is_empty() || group.is_some_and(str::is_empty) {
            return Err(UserError::Invalid(spec.to_string()));
        }
        let (uid, primary) = match user.parse::<u32>() {
            Ok(uid) => (
                uid,
                self.users.iter().find(|u| u.1 == uid).map(|u| u.2).unwrap_or(uid),
            ),
            Err(_) => self
                .users
                .iter()
                .find(|u| u.0 == user)
                .map(|u| (u.1, u.2))
                .ok_or_else(|| UserError::UnknownUser(user.to_string()))?,
        };
        let gid = match group {
            None => primary,
            Some(g) => match g.parse::<u32>() {
                Ok(gid) => gid,
                Err(_) => self
                    .groups
                    .iter()
                    .find(|x| x.0 == g)
                    .map(|x| x.1)
                    .ok_or_else(|| UserError::UnknownGroup(g.to_string()))?,
            },
        };
        Ok((uid, gid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> UserDb {
        UserDb::parse(
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\nbroken\n",
            "root:x:0:\nstaff:x:50:app\napp:x:1000:\n",
        )
    }

    #[test]
    fn resolves_names_and_ids() {
        let db = db();
        assert_eq!(db.resolve("app"), Ok((1000, 1000)));
        assert_eq!(db.resolve("app:staff"), Ok((1000, 50)));
        assert_eq!(db.resolve("1000:50"), Ok((1000, 50)));
        assert_eq!(db.resolve("4242"), Ok((4242, 4242)));
        assert_eq!(db.resolve("root:1000"), Ok((0, 1000)));
    }

    #[test]
    fn unknown_names_are_errors() {
        let db = db();
        assert_eq!(
            db.resolve("nobody2"),
            Err(UserError::UnknownUser("nobody2".into()))
        );
        assert_eq!(
            db.resolve("app:wheel"),
            Err(UserError::UnknownGroup("wheel".into()))
        );
        assert!(matches!(db.resolve(":1"), Err(UserError::Invalid(_))));
        assert!(matches!(db.resolve("1:"), Err(UserError::Invalid(_))));
    }
}
