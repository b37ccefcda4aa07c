use payments::configuration::Settings;
use payments::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("payments", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("payments", Settings::from_env);
    let _telemetry = platform::telemetry::init_telemetry("payments", &settings.base.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
