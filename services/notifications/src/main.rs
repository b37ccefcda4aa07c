use notifications::configuration::Settings;
use notifications::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("notifications", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("notifications", Settings::from_env);
    let _telemetry = platform::telemetry::init_telemetry("notifications", &settings.base.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
