use inventory::configuration::Settings;
use inventory::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("inventory", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("inventory", Settings::from_env);
    let _telemetry = platform::telemetry::init_telemetry("inventory", &settings.base.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
