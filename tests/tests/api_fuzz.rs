//! The live gateway against its own OpenAPI documents: each document is
//! valid OpenAPI 3.1 (openapi-spec-validator), and a property-based fuzzer
//! (schemathesis) that sends generated requests to every documented
//! operation, as the admin, finds no 5xx answer and no answer whose
//! status, content type or body the document does not allow.
//!
//! Both tools come from PyPI (`.ci/run` installs them); the test fails,
//! rather than passing vacuously, where they are missing. The run is
//! bounded: a number of examples per operation and a time budget per
//! document.

use std::process::Output;

use e2e::{ADMIN_EMAIL, ADMIN_PASSWORD, Options, Shop};
use tokio::process::Command;

/// Generated cases per operation and phase.
const MAX_EXAMPLES: &str = "20";
/// Seconds per document, whatever the count above would take.
const MAX_SECONDS: &str = "90";

async fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().await.unwrap_or_else(|e| {
        panic!("{program} could not run ({e}): install it with `python3 -m pip install schemathesis openapi-spec-validator`")
    })
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[tokio::test]
async fn the_live_gateway_conforms_to_its_openapi_documents_under_fuzzing() {
    let shop = Shop::start(Options::default()).await;
    // Something to find: a product with stock, so reads and checkouts reach the services' logic.
    shop.product("MUG-1", 1250, 100).await;
    let admin = shop.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let base = shop.gateway.url("");
    let base = base.trim_end_matches('/');
    let directory = tempfile_dir();

    for version in ["v1", "v2"] {
        let document = shop.gateway.get(&format!("/api/{version}/openapi.json")).await.text().await.unwrap();
        let path = directory.join(format!("{version}.json"));
        std::fs::write(&path, &document).unwrap();
        let validated = run("openapi-spec-validator", &[path.to_str().unwrap()]).await;
        assert!(validated.status.success(), "{version} is not valid OpenAPI: {}", text(&validated));

        let fuzzed = run(
            "st",
            &[
                "run",
                path.to_str().unwrap(),
                "--url",
                base,
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                MAX_EXAMPLES,
                "--max-time",
                MAX_SECONDS,
                "--continue-on-failure",
                "--suppress-health-check",
                "filter_too_much,too_slow",
                "--seed",
                "16",
                "--no-color",
                "-H",
                &format!("Authorization: Bearer {admin}"),
            ],
        )
        .await;
        let report = text(&fuzzed);
        println!("=== schemathesis, API {version} ===\n{report}");
        assert!(fuzzed.status.success(), "the fuzzer found answers that break the {version} document:\n{report}");
    }
}

fn tempfile_dir() -> std::path::PathBuf {
    let directory = std::env::temp_dir().join(format!("api-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    directory
}
