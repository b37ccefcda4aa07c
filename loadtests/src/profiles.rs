//! Named load profiles: a goose test plan (`users,duration;...`) and the
//! thresholds the run must meet, k6-style. Any goose flag given on the
//! command line (`-u`, `-r`, `-t`, `--test-plan`, `--threshold`, `-H`) overrides
//! the profile's value.
//!
//! Request names are `<transaction>: <step>`; thresholds name them as goose
//! reports them, `<METHOD> <name>`.

pub struct Profile {
    pub name: &'static str,
    pub purpose: &'static str,
    pub test_plan: &'static str,
    pub thresholds: &'static [&'static str],
    /// Think time between a user's steps, in milliseconds (min, max).
    pub think_ms: (u64, u64),
    /// The same load open-loop (`--open-loop`): arrivals at a fixed rate.
    pub open_loop: Option<OpenLoop>,
}

/// A profile's open-loop form: an arrival plan (`rate,duration;…`, requests
/// per second) and the thresholds that apply to its requests (the visitor
/// reads of anonymous browsing: no checkout).
pub struct OpenLoop {
    pub arrivals: &'static str,
    pub thresholds: &'static [&'static str],
}

pub const PROFILES: [Profile; 6] = [
    Profile {
        name: "smoke",
        purpose: "Does every scenario work at all? Seconds, a few users.",
        // Five users: one per scenario (goose deals them round-robin), the
        // storefront visitor included when `--web` is given.
        test_plan: "5,2s;5,12s;0,1s",
        think_ms: (100, 300),
        thresholds: &[
            "error-rate<1%",
            "p95<2s",
            "p95<4s for POST checkout: place order",
            "p95<1s for GET browse: list products",
        ],
        open_loop: None,
    },
    Profile {
        name: "average",
        purpose: "A normal day: steady traffic for five minutes.",
        test_plan: "20,30s;20,5m;0,10s",
        think_ms: (1000, 3000),
        thresholds: &["error-rate<1%", "p95<500ms", "p99<1s", "p95<1500ms for POST checkout: place order", "rps>=10"],
        open_loop: None,
    },
    Profile {
        name: "spike",
        purpose: "A sudden crowd: from 5 to 60 users in ten seconds, and back.",
        test_plan: "5,10s;5,1m;60,10s;60,1m;5,10s;5,1m;0,5s",
        think_ms: (1000, 3000),
        thresholds: &["error-rate<5%", "p99<3s", "p99<5s for POST checkout: place order"],
        // About what the users ask at their peak, one arrival at a time.
        open_loop: Some(OpenLoop {
            arrivals: "10,10s;10,1m;120,10s;120,1m;10,10s;10,1m;0,5s",
            thresholds: &["error-rate<5%", "p99<3s"],
        }),
    },
    Profile {
        name: "soak",
        purpose: "An hour at a normal level: leaks, growing queues, slow drift.",
        test_plan: "20,1m;20,1h;0,30s",
        think_ms: (1000, 3000),
        thresholds: &["error-rate<0.5%", "p95<500ms", "p99<1s", "rps>=10"],
        open_loop: None,
    },
    Profile {
        name: "stress",
        purpose: "Ramp until it breaks: the run stops at the first threshold broken, naming the load it reached.",
        test_plan: "20,1m;40,1m;80,1m;120,1m;160,1m;200,1m;0,30s",
        think_ms: (1000, 3000),
        thresholds: &["error-rate<2%", "p99<2s"],
        open_loop: Some(OpenLoop {
            arrivals: "20,1m;40,1m;80,1m;120,1m;160,1m;200,1m;0,30s",
            thresholds: &["error-rate<2%", "p99<2s"],
        }),
    },
    Profile {
        name: "overload",
        purpose: "A crowd with no patience: many users, no think time, far beyond what the gateway admits (the chaos gateway-overload surge). Refusals are the point, so no thresholds.",
        test_plan: "100,2s;100,30s;0,1s",
        think_ms: (0, 0),
        thresholds: &[],
        open_loop: None,
    },
];

pub fn profile(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_parses_as_goose_would() {
        for profile in &PROFILES {
            assert!(profile.test_plan.parse::<goose::test_plan::TestPlan>().is_ok(), "{}", profile.name);
            let open = profile.open_loop.iter().flat_map(|o| o.thresholds.iter());
            for rule in profile.thresholds.iter().chain(open) {
                assert!(rule.parse::<goose::threshold::Threshold>().is_ok(), "{}: {rule}", profile.name);
            }
            if let Some(open) = &profile.open_loop {
                crate::open_loop::schedule::ArrivalPlan::parse(open.arrivals).unwrap();
            }
        }
    }
}
