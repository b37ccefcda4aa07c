use users::configuration;
use users::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("users", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("users", configuration::from_env);
    let _telemetry = platform::telemetry::init_telemetry("users", &settings.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
