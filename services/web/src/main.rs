use web::configuration;
use web::startup;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("web", env!("CARGO_PKG_DESCRIPTION"));
    let settings = platform::load_settings_or_exit("web", configuration::from_env);
    let _telemetry = platform::telemetry::init_telemetry("web", &settings.telemetry);
    startup::build(settings).await?.run_until_stopped().await
}
