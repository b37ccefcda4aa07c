use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_ready_answer_when_the_database_is_up() {
    let app = spawn_app().await;
    assert_eq!(app.client.get("/health").await.status(), 200);
    let ready = app.client.get_json("/ready").await;
    assert_eq!(ready["checks"]["postgres"], "ok");
}

#[tokio::test]
async fn metrics_expose_request_durations_by_route() {
    let app = spawn_app().await;
    app.client.get("/api/v1/products/1").await;
    let text = app.client.get("/metrics").await.text().await.unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("http_server_request_duration_seconds_count")
            && l.contains(r#"http_route="/api/v1/products/{id}""#)
            && l.contains(r#"http_response_status_code="404""#)
            && l.contains(r#"service="catalog""#)),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_json_error_shape() {
    let app = spawn_app().await;
    let (status, code) = platform::test_util::error_of(app.client.get("/nope").await).await;
    assert_eq!((status, code.as_str()), (404, "not_found"));
    let response = app.client.http.put(app.client.url("/api/v1/products")).send().await.unwrap();
    let (status, code) = platform::test_util::error_of(response).await;
    assert_eq!((status, code.as_str()), (405, "method_not_allowed"));
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app.client.get("/api/v1/products").await;
    assert!(response.headers().contains_key("x-request-id"));
    let echoed = app.client.http.get(app.client.url("/health")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "abc-123");
}
