use simulators::email::{Settings, build};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = platform::load_settings_or_exit("email-api", Settings::from_env);
    let _telemetry = platform::telemetry::init_telemetry("email-api", &settings.telemetry);
    build(settings).await?.run_until_stopped().await
}
