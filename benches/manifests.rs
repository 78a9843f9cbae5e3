//! Loading manifests: a `kubectl get nodes -o yaml` style dump of 5,000 nodes (managedFields,
//! conditions, images, nodeInfo) plus 5,000 workload objects (Deployments, Jobs, PDBs, HPAs)
//! in a multi-document file: 10,000 objects read, converted and resolved.

use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write;
use std::path::PathBuf;

/// Number of nodes in the dump.
const NODES: usize = 5_000;
/// Number of workload objects.
const WORKLOADS: usize = 5_000;

fn node(i: usize) -> String {
    let zone = ["a", "b", "c"][i % 3];
    format!(
        r#"- apiVersion: v1
  kind: Node
  metadata:
    annotations:
      kubeadm.alpha.kubernetes.io/cri-socket: unix:///run/containerd/containerd.sock
      node.alpha.kubernetes.io/ttl: "0"
      volumes.kubernetes.io/controller-managed-attach-detach: "true"
    creationTimestamp: "2026-11-02T09:14:51Z"
    labels:
      kubernetes.io/arch: amd64
      kubernetes.io/hostname: node-{i}
      kubernetes.io/os: linux
      node.kubernetes.io/instance-type: m5.xlarge
      topology.kubernetes.io/region: eu-west-1
      topology.kubernetes.io/zone: eu-west-1{zone}
    managedFields:
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:metadata:
          f:annotations:
            .: {{}}
            f:node.alpha.kubernetes.io/ttl: {{}}
        f:spec:
          f:podCIDR: {{}}
      manager: kube-controller-manager
      operation: Update
      time: "2026-11-02T09:15:03Z"
    - apiVersion: v1
      fieldsType: FieldsV1
      fieldsV1:
        f:status:
          f:conditions:
            k:{{"type":"Ready"}}:
              f:lastHeartbeatTime: {{}}
      manager: kubelet
      operation: Update
      subresource: status
      time: "2026-11-04T18:01:12Z"
    name: node-{i}
    resourceVersion: "{rv}"
    uid: 7c0d3f5e-2b7a-4a55-9f55-{i:012}
  spec:
    podCIDR: 10.{a}.{b}.0/24
    podCIDRs:
    - 10.{a}.{b}.0/24
    providerID: aws:///eu-west-1{zone}/i-{i:017x}
  status:
    addresses:
    - address: 10.0.{a}.{b}
      type: InternalIP
    - address: node-{i}
      type: Hostname
    allocatable:
      cpu: 3920m
      ephemeral-storage: "95500553774"
      hugepages-1Gi: "0"
      hugepages-2Mi: "0"
      memory: 15723436Ki
      pods: "58"
    capacity:
      cpu: "4"
      ephemeral-storage: 101430960Ki
      hugepages-1Gi: "0"
      hugepages-2Mi: "0"
      memory: 16198572Ki
      pods: "58"
    conditions:
    - lastHeartbeatTime: "2026-11-04T18:01:12Z"
      lastTransitionTime: "2026-11-02T09:15:10Z"
      message: kubelet has sufficient memory available
      reason: KubeletHasSufficientMemory
      status: "False"
      type: MemoryPressure
    - lastHeartbeatTime: "2026-11-04T18:01:12Z"
      lastTransitionTime: "2026-11-02T09:15:10Z"
      message: kubelet is posting ready status
      reason: KubeletReady
      status: "True"
      type: Ready
    daemonEndpoints:
      kubeletEndpoint:
        Port: 10250
    images:
    - names:
      - registry.k8s.io/etcd@sha256:44a8e24dcbba3470ee1fee21d5e88d128c936e9b55d4bc51fbef8086f8ed123b
      - registry.k8s.io/etcd:3.5.9-0
      sizeBytes: 102894559
    - names:
      - docker.io/library/nginx@sha256:10d1f5b58f74683ad34eb29287e07dab1e90f10af243f151bb50aa5dbb4d62ee
      - docker.io/library/nginx:1.25
      sizeBytes: 70520324
    nodeInfo:
      architecture: amd64
      bootID: 5d7d3c5e-4e1f-4c0e-a7a2-1b0f0d3b4a11
      containerRuntimeVersion: containerd://1.7.1
      kernelVersion: 6.5.0-1014-aws
      kubeProxyVersion: v1.29.2
      kubeletVersion: v1.29.2
      machineID: 0b2f8f4a5e3c4f0bb1c9d0e1f2a3b4c5
      operatingSystem: linux
      osImage: Ubuntu 22.04.3 LTS
      systemUUID: ec2f8f4a-5e3c-4f0b-b1c9-d0e1f2a3b4c5
"#,
        rv = 40_000 + i,
        a = i / 250,
        b = i % 250,
    )
}

fn workload(i: usize) -> String {
    match i % 10 {
        0..=6 => format!(
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: team-{ns}
  labels: {{app: svc-{i}}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: svc-{i}}}}}
  strategy: {{type: RollingUpdate, rollingUpdate: {{maxSurge: 25%, maxUnavailable: 0}}}}
  template:
    metadata:
      labels: {{app: svc-{i}, tier: web}}
      annotations: {{kubesim.io/usage-cpu: 150m}}
    spec:
      containers:
      - name: app
        image: registry.example.com/svc-{i}:1.2.3
        ports: [{{containerPort: 8080, name: http}}]
        env: [{{name: MODE, value: prod}}]
        readinessProbe: {{httpGet: {{path: /healthz, port: 8080}}, periodSeconds: 5}}
        resources:
          requests: {{cpu: 250m, memory: 256Mi}}
          limits: {{memory: 512Mi}}
      tolerations:
      - {{key: dedicated, operator: Equal, value: web, effect: NoSchedule}}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector: {{matchLabels: {{app: svc-{i}}}}}
"#,
            ns = i % 20
        ),
        7 => format!(
            r#"apiVersion: batch/v1
kind: Job
metadata: {{name: job-{i}, namespace: team-{ns}, annotations: {{kubesim.io/duration: 20m}}}}
spec:
  completions: 10
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - {{name: main, image: busybox, resources: {{requests: {{cpu: "1", memory: 1Gi}}}}}}
"#,
            ns = i % 20
        ),
        8 => format!(
            r#"apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: pdb-{i}, namespace: team-{ns}}}
spec:
  maxUnavailable: 1
  selector: {{matchLabels: {{app: svc-{t}}}}}
"#,
            ns = (i - 8) % 20,
            t = i - 8
        ),
        _ => format!(
            r#"apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: hpa-{i}, namespace: team-{ns}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: svc-{t}}}
  minReplicas: 3
  maxReplicas: 12
  metrics:
  - type: Resource
    resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}
"#,
            ns = (i - 9) % 20,
            t = i - 9
        ),
    }
}

/// Writes the dump into a fresh temporary folder and returns it.
fn write_dump() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubesim-bench-manifests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut nodes = String::from("apiVersion: v1\nitems:\n");
    for i in 0..NODES {
        nodes.push_str(&node(i));
    }
    nodes.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    std::fs::write(dir.join("nodes.yaml"), nodes).expect("write nodes");
    let mut w = String::new();
    for i in 0..WORKLOADS {
        if i > 0 {
            w.push_str("---\n");
        }
        write!(w, "{}", workload(i)).expect("format");
    }
    std::fs::write(dir.join("workloads.yaml"), w).expect("write workloads");
    dir
}

fn manifests(c: &mut Criterion) {
    let dir = write_dump();
    let paths = ["nodes.yaml".to_owned(), "workloads.yaml".to_owned()];
    let check = kubesim::manifests::load(&paths, &dir).expect("the dump loads");
    assert_eq!(check.nodes.len(), NODES);
    assert_eq!(check.deployments.len(), WORKLOADS * 7 / 10);
    let mut group = c.benchmark_group("manifests");
    group.sample_size(10);
    group.bench_function("load_10k_objects", |b| {
        b.iter(|| kubesim::manifests::load(&paths, &dir).expect("the dump loads"))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, manifests);
criterion_main!(benches);
