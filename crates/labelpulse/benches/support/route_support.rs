//! What the route benches share: the runtime they run on and one GET
//! through the real router (`oneshot`), body collected.

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The runtime the benches fill their store and answer their routes on:
/// two workers, as on the development machine.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Answers `GET uri` with the router, asserts 200 and returns the body's
/// length (JSON serialization and transfer are part of what is timed).
pub async fn get(router: Router, uri: &str) -> usize {
    let response = router
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    assert_eq!(response.status(), 200, "{uri}");
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .len()
}
