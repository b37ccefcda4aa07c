use simulators::payments::{DEFAULT_PORT, Settings, build};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::cli::parse_no_args("payment-provider", "A Stripe-shaped payment provider stand-in: charges and refunds.");
    let settings =
        platform::load_settings_or_exit("payment-provider", |env| Settings::from_env(env, DEFAULT_PORT, "PROVIDER"));
    let _telemetry = platform::telemetry::init_telemetry("payment-provider", &settings.telemetry);
    build(settings).await?.run_until_stopped().await
}
