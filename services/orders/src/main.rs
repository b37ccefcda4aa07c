use orders::configuration::Settings;
use orders::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("orders", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("orders", Settings::from_env);
    let _telemetry = platform::telemetry::init_telemetry("orders", &settings.base.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
