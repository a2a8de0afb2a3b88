//! Shared harness of the API tests: a real server on 127.0.0.1:0 over a real
//! embedded node (redb in a temp dir), a fixed clock, and a small dataset.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use labelpulse_api::{app, AppState, Settings};
use labelpulse_core::aggregate::{ActivityRow, AgreementRow, CellKind, HourRow, LabelRow, PairRow};
use labelpulse_core::ingest::{EventSink, IngestReceipt};
use labelpulse_core::member::MemberState;
use labelpulse_core::participant::AgreementScope;
use labelpulse_core::read::{CellAddress, ProjectRecord, ReadStore};
use labelpulse_core::time::Hour;
use labelpulse_embedded::{EmbeddedNode, EmbeddedReader, NodeSettings};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::task::JoinHandle;

/// "Now" of every test: default ranges end here (the dataset is on 2026-03-02).
pub const NOW: &str = "2026-03-10T12:00:00Z";

pub fn now() -> DateTime<Utc> {
    NOW.parse().expect("NOW is RFC 3339")
}

pub fn settings(max_ingest_bytes: usize) -> Settings {
    Settings {
        max_ingest_bytes,
        clock: Arc::new(now),
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `app(state)` on an ephemeral loopback port.
    pub async fn start<R: ReadStore, W: EventSink>(state: AppState<R, W>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let router = app(state);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    stopped.await.ok();
                })
                .await
                .expect("serve");
        });
        Server {
            addr,
            client: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Graceful shutdown: once it returns, no connection task holds the
    /// router (and so the store) any more.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(10), task)
                .await
                .expect("server stops within 10 s")
                .expect("server task");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET, expecting `status`, parsed as JSON.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let response = self.get(path).await;
        let got = response.status().as_u16();
        let text = response.text().await.expect("body");
        assert_eq!(got, status, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {text}"))
    }

    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// POST NDJSON lines to the ingest route; returns (status, body).
    pub async fn ingest(&self, lines: &[String]) -> (u16, Value) {
        let response = self
            .post("/api/v1/events", "application/x-ndjson", lines.join("\n"))
            .await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("ingest answers JSON"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A server over a fresh embedded node.
pub struct Embedded {
    pub server: Server,
    pub node: EmbeddedNode,
    pub reader: EmbeddedReader,
    pub state: AppState<EmbeddedReader, EmbeddedNode>,
    _dir: TempDir,
}

impl Embedded {
    pub async fn start(max_ingest_bytes: usize) -> Embedded {
        Embedded::open(tempfile::tempdir().expect("temp dir"), max_ingest_bytes).await
    }

    /// Shuts the node down and opens a new node and server on the same file.
    pub async fn restart(self) -> Embedded {
        let Embedded {
            server,
            node,
            reader,
            state,
            _dir: dir,
        } = self;
        server.shutdown().await;
        node.shutdown().await.expect("shutdown");
        let max_ingest_bytes = state.settings.max_ingest_bytes;
        // Every handle of the database must be gone before it is reopened.
        drop((node, reader, state));
        Embedded::open(dir, max_ingest_bytes).await
    }

    async fn open(dir: TempDir, max_ingest_bytes: usize) -> Embedded {
        let path = dir.path().to_path_buf();
        let (node, reader) =
            tokio::task::spawn_blocking(move || EmbeddedNode::open(path, NodeSettings::default()))
                .await
                .expect("open task")
                .expect("open node");
        let state = AppState::new(Arc::new(reader.clone()), Arc::new(node.clone()))
            .with_settings(settings(max_ingest_bytes));
        let server = Server::start(state.clone()).await;
        Embedded {
            server,
            node,
            reader,
            state,
            _dir: dir,
        }
    }

    /// Started, with [`dataset`] ingested (asserting a 200).
    pub async fn with_dataset() -> Embedded {
        let embedded = Embedded::start(labelpulse_api::app::DEFAULT_MAX_INGEST_BYTES).await;
        let (status, body) = embedded.server.ingest(&dataset()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["accepted"], dataset().len());
        embedded
    }

    pub async fn stop(self) {
        self.node.shutdown().await.expect("shutdown");
    }
}

impl std::ops::Deref for Embedded {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

// ---------------------------------------------------------------- events

fn envelope(id: &str, kind: &str, at: &str, project: Option<&str>) -> Value {
    let mut event = json!({
        "event_id": id,
        "type": kind,
        "schema_version": 1,
        "occurred_at": at,
    });
    if let Some(project) = project {
        event["project_id"] = json!(project);
    }
    event
}

fn merge(mut base: Value, extra: Value) -> String {
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    base.to_string()
}

pub fn project(id: &str, title: &str, workspace: &str, overlap: u32) -> String {
    let mut event = envelope(
        &format!("proj-{id}"),
        "project.upserted",
        "2026-03-01T09:00:00Z",
        Some(id),
    );
    event["workspace_id"] = json!(workspace);
    merge(
        event,
        json!({
            "title": title,
            "overlap": overlap,
            "agreement_threshold": 0.5,
            "review_criteria": "none",
            "controls": [{"name": "label", "kind": "choices", "labels": ["cat", "dog"]}],
        }),
    )
}

pub fn member(id: &str, name: &str, role: &str) -> String {
    merge(
        envelope(
            &format!("member-{id}"),
            "member.upserted",
            "2026-03-01T09:00:00Z",
            None,
        ),
        json!({"member_id": id, "name": name, "email": format!("{id}@example.com"), "role": role}),
    )
}

pub fn task(project: &str, id: &str) -> String {
    merge(
        envelope(
            &format!("task-{id}"),
            "task.created",
            "2026-03-02T09:00:00Z",
            Some(project),
        ),
        json!({"task_id": id}),
    )
}

pub fn annotation(
    project: &str,
    id: &str,
    task: &str,
    member: &str,
    label: &str,
    lead: f64,
    at: &str,
) -> String {
    merge(
        envelope(
            &format!("ann-{id}"),
            "annotation.submitted",
            at,
            Some(project),
        ),
        json!({
            "annotation_id": id,
            "task_id": task,
            "member_id": member,
            "lead_time_seconds": lead,
            "completed_at": at,
            "result": [{"id": format!("r-{id}"), "from_name": "label", "to_name": "image", "type": "choices",
                        "value": {"choices": [label]}}],
        }),
    )
}

pub fn review(
    project: &str,
    id: &str,
    annotation: &str,
    task: &str,
    reviewer: &str,
    started: &str,
    done: &str,
) -> String {
    merge(
        envelope(
            &format!("rev-{id}"),
            "review.submitted",
            done,
            Some(project),
        ),
        json!({
            "review_id": id,
            "annotation_id": annotation,
            "task_id": task,
            "reviewer_id": reviewer,
            "outcome": "accepted",
            "started_at": started,
            "completed_at": done,
        }),
    )
}

/// Two projects in two workspaces, three members, three tasks, four
/// annotations and a review, all on 2026-03-02 (UTC):
///
/// - p1 "Vehicles" (w1, overlap 2): t1 annotated by m1 (cat, 10 s) and m2
///   (cat, 20 s), so t1 is done and m1/m2 agree on it; t2 by m1 (dog, 30 s);
///   r1 accepted m1's a1 (20 s of review).
/// - p2 "Animals" (w2, overlap 1): t3 by m1 (cat, 40 s).
pub fn dataset() -> Vec<String> {
    vec![
        project("p1", "Vehicles", "w1", 2),
        project("p2", "Animals", "w2", 1),
        member("m1", "Ann", "annotator"),
        member("m2", "Bob", "annotator"),
        member("r1", "Rev", "reviewer"),
        task("p1", "t1"),
        task("p1", "t2"),
        task("p2", "t3"),
        annotation("p1", "a1", "t1", "m1", "cat", 10.0, "2026-03-02T10:00:00Z"),
        annotation("p1", "a2", "t1", "m2", "cat", 20.0, "2026-03-02T10:30:00Z"),
        annotation("p1", "a3", "t2", "m1", "dog", 30.0, "2026-03-02T11:00:00Z"),
        annotation("p2", "a4", "t3", "m1", "cat", 40.0, "2026-03-02T11:30:00Z"),
        review(
            "p1",
            "v1",
            "a1",
            "t1",
            "r1",
            "2026-03-02T12:00:00Z",
            "2026-03-02T12:00:20Z",
        ),
    ]
}

// ------------------------------------------------ failure-injecting wrappers

/// A read side that delegates to `inner` but can be made not ready or failing.
pub struct Faulty<R> {
    pub inner: R,
    pub ready: bool,
    pub fail: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("injected store failure")]
pub struct Injected;

impl<R: ReadStore> Faulty<R> {
    async fn run<T>(&self, read: impl Future<Output = Result<T, R::Error>>) -> Result<T, Injected> {
        if self.fail {
            return Err(Injected);
        }
        read.await.map_err(|_| Injected)
    }
}

impl<R: ReadStore> ReadStore for Faulty<R> {
    type Error = Injected;

    async fn projects(&self) -> Result<Vec<ProjectRecord>, Injected> {
        self.run(self.inner.projects()).await
    }
    async fn project(&self, project: &str) -> Result<Option<ProjectRecord>, Injected> {
        self.run(self.inner.project(project)).await
    }
    async fn project_hours(
        &self,
        project: &str,
        hours: std::ops::Range<Hour>,
    ) -> Result<Vec<(Hour, HourRow)>, Injected> {
        self.run(self.inner.project_hours(project, hours)).await
    }
    async fn project_member_hours(
        &self,
        project: &str,
        hours: std::ops::Range<Hour>,
    ) -> Result<Vec<(String, Hour, HourRow)>, Injected> {
        self.run(self.inner.project_member_hours(project, hours))
            .await
    }
    async fn member_hours(
        &self,
        member: &str,
        hours: std::ops::Range<Hour>,
    ) -> Result<Vec<(String, Hour, HourRow)>, Injected> {
        self.run(self.inner.member_hours(member, hours)).await
    }
    async fn agreement_hours(
        &self,
        project: &str,
        dimension: &str,
        scope: AgreementScope,
        hours: std::ops::Range<Hour>,
    ) -> Result<Vec<(Hour, AgreementRow)>, Injected> {
        self.run(self.inner.agreement_hours(project, dimension, scope, hours))
            .await
    }
    async fn agreement_rows(
        &self,
        project: &str,
        scope: AgreementScope,
    ) -> Result<Vec<(String, Hour, AgreementRow)>, Injected> {
        self.run(self.inner.agreement_rows(project, scope)).await
    }
    async fn agreement_cells(
        &self,
        project: &str,
        kinds: &[CellKind],
        dimension: Option<&str>,
    ) -> Result<Vec<(CellAddress, i64)>, Injected> {
        self.run(self.inner.agreement_cells(project, kinds, dimension))
            .await
    }
    async fn labels(&self, project: &str) -> Result<Vec<(String, String, LabelRow)>, Injected> {
        self.run(self.inner.labels(project)).await
    }
    async fn pairs(
        &self,
        project: &str,
        dimension: &str,
    ) -> Result<Vec<(String, String, PairRow)>, Injected> {
        self.run(self.inner.pairs(project, dimension)).await
    }
    async fn pairs_among(
        &self,
        project: &str,
        dimension: &str,
        among: &[String],
    ) -> Result<Vec<(String, String, PairRow)>, Injected> {
        self.run(self.inner.pairs_among(project, dimension, among))
            .await
    }
    async fn activity(&self, project: &str) -> Result<Vec<(String, ActivityRow)>, Injected> {
        self.run(self.inner.activity(project)).await
    }
    async fn member(&self, member: &str) -> Result<Option<MemberState>, Injected> {
        self.run(self.inner.member(member)).await
    }
    async fn ready(&self) -> bool {
        self.ready && self.inner.ready().await
    }
}

/// A sink that always fails.
pub struct BrokenSink;

impl EventSink for BrokenSink {
    type Error = Injected;

    async fn ingest(&self, _events: Vec<Vec<u8>>) -> Result<IngestReceipt, Injected> {
        Err(Injected)
    }
}
