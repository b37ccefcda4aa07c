use gateway::configuration::Settings;
use gateway::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("gateway", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("gateway", Settings::from_env);
    let _telemetry = platform::telemetry::init_telemetry("gateway", &settings.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
