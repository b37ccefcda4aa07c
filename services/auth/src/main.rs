use auth::configuration::Settings;
use auth::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("auth", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("auth", Settings::from_env);
    let _telemetry = platform::telemetry::init_telemetry("auth", &settings.base.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
