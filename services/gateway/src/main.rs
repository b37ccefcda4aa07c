use gateway::configuration::Settings;
use gateway::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = platform::load_settings_or_exit("gateway", Settings::from_env);
    let _telemetry = platform::telemetry::init_telemetry("gateway", &settings.telemetry);
    Application::build(settings).await?.run_until_stopped().await
}
