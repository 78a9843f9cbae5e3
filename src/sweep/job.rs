//! `kubesim sweep --emit-job N`: a Kubernetes `batch/v1` Job in Indexed completion mode that
//! runs the sweep as N shards. Each pod runs `kubesim sweep ... --shard-from-env --shards N`;
//! the Job controller sets `JOB_COMPLETION_INDEX` (0-based) in each pod, and the pod writes
//! its shard to `<mount>/<prefix>-shard-<index>` on a PersistentVolumeClaim shared by all
//! pods (`{shard}` in `--out` stands for the index; no shell is needed in the image).

use crate::error::{Error, Result};
use serde_json::json;

/// What the Job runs and where.
#[derive(Clone, Debug)]
pub struct JobOptions {
    /// Job name (a DNS label).
    pub name: String,
    /// Shards (`completions`).
    pub shards: usize,
    /// Pods running at once (`parallelism`).
    pub parallelism: usize,
    /// Container image holding kubesim and the scenario.
    pub image: String,
    /// The kubesim executable in the image.
    pub command: String,
    /// The scenario file's path inside the container.
    pub scenario: String,
    /// `--set`, `--grid` and `--seeds` flags, as given to `sweep`.
    pub sweep_args: Vec<String>,
    /// Threads per pod (`--jobs`, and the pod's cpu request).
    pub jobs: usize,
    /// PersistentVolumeClaim receiving the shard folders.
    pub pvc: String,
    /// Where the claim is mounted in the container.
    pub mount_path: String,
    /// Shard folders are `<mount>/<prefix>-shard-<index>`.
    pub out_prefix: String,
}

/// A DNS-1123 label from `text`: lower case, `[a-z0-9-]`, at most 63 characters.
pub fn dns_label(text: &str) -> String {
    let mut s: String = text
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.truncate(63);
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() {
        "kubesim-sweep".into()
    } else {
        s
    }
}

/// The Job manifest (YAML, with a comment saying how to merge the shards).
pub fn job_yaml(o: &JobOptions) -> Result<String> {
    if o.shards == 0 || o.parallelism == 0 || o.jobs == 0 {
        return Err(Error::Usage(
            "--emit-job, --parallelism and --jobs need a count of at least 1".into(),
        ));
    }
    if dns_label(&o.name) != o.name {
        return Err(Error::Usage(format!(
            "--job-name {:?}: a Job name must be a DNS label (lower-case letters, digits and \
             '-', at most 63 characters), e.g. {:?}",
            o.name,
            dns_label(&o.name)
        )));
    }
    let mount = o.mount_path.trim_end_matches('/');
    let out = format!("{mount}/{}-shard-{{shard}}", o.out_prefix);
    let mut args = vec!["sweep".to_owned(), o.scenario.clone()];
    args.extend(o.sweep_args.iter().cloned());
    args.extend([
        "--shard-from-env".to_owned(),
        "--shards".to_owned(),
        o.shards.to_string(),
        "--jobs".to_owned(),
        o.jobs.to_string(),
        "--out".to_owned(),
        out,
        "--quiet".to_owned(),
    ]);
    let job = json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": o.name, "labels": {"app.kubernetes.io/name": "kubesim-sweep"}},
        "spec": {
            "completionMode": "Indexed",
            "completions": o.shards,
            "parallelism": o.parallelism.min(o.shards),
            "backoffLimit": o.shards.max(6),
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "kubesim-sweep"}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "kubesim",
                        "image": o.image,
                        "command": [o.command],
                        "args": args,
                        "resources": {"requests": {"cpu": o.jobs.to_string()}},
                        "volumeMounts": [{"name": "results", "mountPath": mount}],
                    }],
                    "volumes": [{
                        "name": "results",
                        "persistentVolumeClaim": {"claimName": o.pvc},
                    }],
                },
            },
        },
    });
    let body = serde_yaml_ng::to_string(&job)
        .map_err(|e| Error::Usage(format!("YAML encoding failed: {e}")))?;
    Ok(format!(
        "# kubesim sweep of {} as an Indexed Job of {} shards (kubectl apply -f <this file>).\n\
         # When it has completed, merge the shards from a pod or machine that mounts the claim {:?}:\n\
         #   {} merge {mount}/{}-shard-*/ --out {mount}/{}\n{body}",
        o.scenario, o.shards, o.pvc, o.command, o.out_prefix, o.out_prefix
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_dns_safe() {
        assert_eq!(
            dns_label("kubesim-sweep-Night_Scale"),
            "kubesim-sweep-night-scale"
        );
        assert_eq!(dns_label("--"), "kubesim-sweep");
        assert_eq!(dns_label(&"a".repeat(80)).len(), 63);
    }
}
