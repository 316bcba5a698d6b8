// Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0

//! What a build pod's status says: still going, done with a digest, or failed (and why, in words a
//! person can act on: the scheduler's message, an image pull error, the exit code).

use k8s_openapi::api::core::v1::Pod;

/// Container waiting reasons that never resolve by themselves.
const STUCK: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
];

/// The state of one build pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodState {
    /// Not finished; the text says where it is (for progress logs and timeouts).
    Running(String),
    /// Exited 0; the termination message (the image digest).
    Succeeded(String),
    /// Cannot succeed: exited non-zero, or stuck.
    Failed(String),
}

/// Reads a pod's status.
pub fn pod_state(pod: &Pod) -> PodState {
    let Some(status) = &pod.status else {
        return PodState::Running("created".into());
    };
    let container = status
        .container_statuses
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|c| c.name == "kaniko");
    if let Some(state) = container.and_then(|c| c.state.as_ref()) {
        if let Some(t) = &state.terminated {
            let message = t.message.clone().unwrap_or_default();
            return if t.exit_code == 0 {
                PodState::Succeeded(message.trim().to_string())
            } else {
                PodState::Failed(format!(
                    "the executor exited with code {}{}",
                    t.exit_code,
                    t.reason
                        .as_deref()
                        .filter(|r| *r != "Error")
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ))
            };
        }
        if let Some(w) = &state.waiting {
            let reason = w.reason.clone().unwrap_or_default();
            let detail = w.message.clone().unwrap_or_default();
            if STUCK.contains(&reason.as_str()) {
                return PodState::Failed(format!("{reason}: {detail}"));
            }
            return PodState::Running(format!("waiting: {reason} {detail}").trim().to_string());
        }
        if state.running.is_some() {
            return PodState::Running("running".into());
        }
    }
    let phase = status.phase.clone().unwrap_or_else(|| "Pending".into());
    if phase == "Failed" {
        return PodState::Failed(
            status
                .message
                .clone()
                .or_else(|| status.reason.clone())
                .unwrap_or_else(|| "the pod failed".into()),
        );
    }
    let unschedulable = status
        .conditions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False");
    match unschedulable {
        Some(c) => PodState::Running(format!(
            "not scheduled: {}",
            c.message.clone().or_else(|| c.reason.clone()).unwrap_or_default()
        )),
        None => PodState::Running(phase.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({"metadata": {"name": "p"}, "status": status})).unwrap()
    }

    #[test]
    fn reads_success_failure_and_waiting() {
        let done = pod(json!({"phase": "Succeeded", "containerStatuses": [{
            "name": "kaniko", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "message": "sha256:abc\n"}}}]}));
        assert_eq!(pod_state(&done), PodState::Succeeded("sha256:abc".into()));

        let failed = pod(json!({"phase": "Failed", "containerStatuses": [{
            "name": "kaniko", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}));
        assert_eq!(
            pod_state(&failed),
            PodState::Failed("the executor exited with code 1".into())
        );

        let pull = pod(json!({"phase": "Pending", "containerStatuses": [{
            "name": "kaniko", "image": "i", "imageID": "", "ready": false, "restartCount": 0,
            "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}));
        assert!(matches!(pod_state(&pull), PodState::Failed(m) if m.starts_with("ImagePullBackOff")));

        let unscheduled = pod(json!({"phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."}]}));
        assert!(matches!(pod_state(&unscheduled), PodState::Running(m) if m.contains("didn't match")));
    }
}
