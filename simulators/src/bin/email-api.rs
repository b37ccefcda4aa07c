use simulators::email::{DEFAULT_PORT, Settings, build};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("email-api", "An e-mail API stand-in: takes messages and lists what it sent.");
    let settings = platform::load_settings_or_exit("email-api", |env| Settings::from_env(env, DEFAULT_PORT, "EMAIL"));
    let _telemetry = platform::telemetry::init_telemetry("email-api", &settings.telemetry);
    build(settings).await?.run_until_stopped().await
}
