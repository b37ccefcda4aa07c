use catalog::configuration;
use catalog::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("catalog", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("catalog", configuration::from_env);
    let _telemetry = platform::telemetry::init_telemetry("catalog", &settings.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
