//! `app()` as a tower service, without a socket (axum's testing style).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{dataset, Embedded};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn call(router: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&bytes).expect("JSON body"))
}

fn get(uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn ingest_then_read_the_dashboard_through_oneshot() {
    let embedded = Embedded::start(labelpulse_api::app::DEFAULT_MAX_INGEST_BYTES).await;
    let router = labelpulse_api::app(embedded.state.clone());

    let (status, body) = call(&router, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");

    let request = Request::builder()
        .method("POST")
        .uri("/api/v1/events")
        .header("content-type", "application/x-ndjson")
        .body(Body::from(dataset().join("\n")))
        .expect("request");
    let (status, body) = call(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], dataset().len());

    let (status, body) = call(
        &router,
        get("/api/v1/projects/p2/dashboard?granularity=month"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["annotations"]["submitted"], 1);
    assert_eq!(
        body["series"].as_array().map(Vec::len),
        Some(2),
        "February and March"
    );

    let (status, body) = call(
        &router,
        get("/api/v1/projects/p2/dashboard?granularity=year"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["parameter"], "granularity");
    embedded.stop().await;
}

#[tokio::test]
async fn oneshot_answers_json_errors_for_unknown_routes_and_bad_paths() {
    let embedded = Embedded::start(1024).await;
    let router = labelpulse_api::app(embedded.state.clone());
    let (status, body) = call(&router, get("/api/v2/anything")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "no_route");
    // A path id that is not UTF-8 once percent-decoded: axum's Path
    // rejection, answered in the JSON error shape.
    let (status, body) = call(&router, get("/api/v1/projects/%FF/dashboard")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_path");
    // A query string serde cannot map onto the parameters (a repeated
    // one): axum's Query rejection, in the JSON error shape.
    let (status, body) = call(
        &router,
        get("/api/v1/projects/p1/dashboard?granularity=day&granularity=hour"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "bad_query");
    // Undecodable bytes in a value reach the parser (lossily) and are named.
    let (status, body) = call(&router, get("/api/v1/projects/p1/dashboard?from=%FF")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["parameter"], "from");
    embedded.stop().await;
}
