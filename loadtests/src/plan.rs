//! A run's plan across workers: each worker's share of the users, the
//! phases of the plan in time (so every worker labels a request with the
//! same phase as the others), and the common start time.
//!
//! A goose test plan is `users,duration;…`: each step moves to its number
//! of users over its duration. A step that keeps the users of the one before
//! holds them (goose's Maintain, what `rps` thresholds count).

use std::time::Duration;

use anyhow::{Context, bail};
use goose::test_plan::TestPlan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Increase,
    Maintain,
    Decrease,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Increase => "increase",
            Phase::Maintain => "maintain",
            Phase::Decrease => "decrease",
        }
    }
}

/// The phases of a plan, each ending some time after the start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Phases {
    ends: Vec<(Duration, Phase)>,
}

impl Phases {
    /// The phases of `steps` (users, milliseconds), as goose runs them.
    pub fn of(steps: &[(usize, usize)]) -> Self {
        Self::of_levels(steps.iter().map(|&(users, ms)| (users as f64, ms as u64)))
    }

    /// The phases of steps that move to a level (users, or arrivals per
    /// second) over some milliseconds.
    pub fn of_levels(steps: impl IntoIterator<Item = (f64, u64)>) -> Self {
        let mut ends = Vec::new();
        let (mut level, mut at) = (0.0, Duration::ZERO);
        for (target, ms) in steps {
            let phase = match target.total_cmp(&level) {
                std::cmp::Ordering::Greater => Phase::Increase,
                std::cmp::Ordering::Equal => Phase::Maintain,
                std::cmp::Ordering::Less => Phase::Decrease,
            };
            at += Duration::from_millis(ms);
            ends.push((at, phase));
            level = target;
        }
        Self { ends }
    }

    /// The phases of a run's plan as its `mode` writes it: a goose test plan
    /// (`closed`) or an arrival plan (`open`); none when it does not read.
    pub fn of_run(mode: &str, plan: &str) -> Self {
        match mode {
            "open" => crate::open_loop::schedule::ArrivalPlan::parse(plan)
                .map(|p| Self::of_levels(p.levels()))
                .unwrap_or_default(),
            _ => plan.parse::<TestPlan>().map(|p| Self::of(&p.steps)).unwrap_or_default(),
        }
    }

    /// The phase `elapsed` after the start (after the plan: its wind-down).
    pub fn at(&self, elapsed: Duration) -> Phase {
        self.ends.iter().find(|(end, _)| elapsed < *end).map_or(Phase::Decrease, |(_, phase)| *phase)
    }

    /// How long the plan holds its users, all Maintain steps together.
    pub fn holding(&self) -> Duration {
        let mut start = Duration::ZERO;
        let mut total = Duration::ZERO;
        for &(end, phase) in &self.ends {
            if phase == Phase::Maintain {
                total += end - start;
            }
            start = end;
        }
        total
    }

    /// The whole plan's length.
    pub fn length(&self) -> Duration {
        self.ends.last().map_or(Duration::ZERO, |(end, _)| *end)
    }
}

/// Worker `index`'s share of `users` split over `workers`: the first ones
/// take one more when it does not divide.
pub fn share(users: usize, workers: usize, index: usize) -> usize {
    users / workers + usize::from(index < users % workers)
}

/// Worker `index`'s plan: the same steps, at the same times, with its share
/// of each step's users, so that the workers' phases line up and their
/// users add up to the plan's.
pub fn worker_plan(plan: &str, workers: usize, index: usize) -> anyhow::Result<String> {
    let steps = steps_of(plan)?;
    if steps.iter().all(|&(users, _)| share(users, workers, index) == 0) {
        bail!(
            "the plan {plan:?} has too few users for {workers} workers: worker {index} would start none (give fewer workers or more users)"
        );
    }
    // goose's time spans are whole seconds.
    Ok(steps
        .iter()
        .map(|&(users, ms)| format!("{},{}s", share(users, workers, index), ms / 1_000))
        .collect::<Vec<_>>()
        .join(";"))
}

/// This worker's index without a coordinator: its address's rank among the
/// addresses `name` resolves to, once it resolves to exactly `workers` of
/// them (`docker compose --scale loadgen=N` gives every replica the same
/// name; each one sees the same sorted list).
pub async fn rank_among_peers(name: &str, workers: usize, patience: Duration) -> anyhow::Result<usize> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let mut peers: Vec<std::net::IpAddr> =
            tokio::net::lookup_host((name, 9)).await.map(|a| a.map(|a| a.ip()).collect()).unwrap_or_default();
        peers.sort();
        peers.dedup();
        if peers.len() > workers {
            bail!("{name} resolves to {} addresses, more than --workers {workers}", peers.len());
        }
        if peers.len() == workers {
            // The address this host reaches its peers from is its own.
            let socket = std::net::UdpSocket::bind(("0.0.0.0", 0))?;
            socket.connect((peers[0], 9))?;
            let own = socket.local_addr()?.ip();
            return peers
                .iter()
                .position(|peer| *peer == own)
                .with_context(|| format!("this host ({own}) is not among the addresses of {name}: {peers:?}"));
        }
        if tokio::time::Instant::now() >= deadline {
            bail!("{name} resolves to {} of the {workers} workers after {} s", peers.len(), patience.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The steps of a goose test plan, (users, milliseconds).
pub fn steps_of(plan: &str) -> anyhow::Result<Vec<(usize, usize)>> {
    plan.parse::<TestPlan>().map(|p| p.steps).map_err(|e| anyhow::anyhow!("the test plan {plan:?}: {e}"))
}

/// A time on the command line: RFC 3339 (`2026-12-02T10:00:00Z`), unix
/// seconds, or `now`.
pub fn parse_time(text: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if text == "now" {
        return Ok(chrono::Utc::now());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        let millis = (seconds * 1_000.0).round() as i64;
        return chrono::DateTime::from_timestamp_millis(millis).context("a start time within chrono's range");
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .with_context(|| format!("the time {text:?}: give RFC 3339 (2026-12-02T10:00:00Z) or unix seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_users_and_differ_by_at_most_one() {
        for users in 0..20 {
            for workers in 1..6 {
                let shares: Vec<usize> = (0..workers).map(|i| share(users, workers, i)).collect();
                assert_eq!(shares.iter().sum::<usize>(), users);
                assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1);
            }
        }
    }

    #[test]
    fn a_worker_s_plan_keeps_the_steps_times_and_takes_its_share() {
        assert_eq!(worker_plan("20,30s;20,5m;0,10s", 3, 0).unwrap(), "7,30s;7,300s;0,10s");
        assert_eq!(worker_plan("20,30s;20,5m;0,10s", 3, 2).unwrap(), "6,30s;6,300s;0,10s");
        assert_eq!(worker_plan("4,2s;4,12s;0,1s", 3, 2).unwrap(), "1,2s;1,12s;0,1s");
        let error = worker_plan("2,1s;2,5s;0,1s", 3, 2).unwrap_err().to_string();
        assert!(error.contains("worker 2 would start none"), "{error}");
    }

    #[test]
    fn phases_follow_the_user_counts_of_the_steps() {
        let phases = Phases::of(&steps_of("4,2s;4,12s;8,1s;0,1s").unwrap());
        assert_eq!(phases.at(Duration::from_millis(1_999)), Phase::Increase);
        assert_eq!(phases.at(Duration::from_secs(2)), Phase::Maintain);
        assert_eq!(phases.at(Duration::from_millis(14_500)), Phase::Increase);
        assert_eq!(phases.at(Duration::from_millis(15_500)), Phase::Decrease);
        assert_eq!(phases.at(Duration::from_secs(60)), Phase::Decrease);
        assert_eq!(phases.holding(), Duration::from_secs(12));
        assert_eq!(phases.length(), Duration::from_secs(16));
    }

    #[tokio::test]
    async fn a_worker_ranks_itself_among_the_addresses_of_its_name() {
        // localhost resolves to this host alone: one worker, rank 0.
        assert_eq!(rank_among_peers("127.0.0.1", 1, Duration::from_secs(1)).await.unwrap(), 0);
        let error = rank_among_peers("127.0.0.1", 2, Duration::from_millis(600)).await.unwrap_err().to_string();
        assert!(error.contains("resolves to 1 of the 2 workers"), "{error}");
    }

    #[test]
    fn a_start_time_is_rfc_3339_or_unix_seconds() {
        let at = parse_time("2026-12-02T10:00:00Z").unwrap();
        assert_eq!(parse_time(&at.timestamp().to_string()).unwrap(), at);
        assert_eq!(parse_time("1796205600.5").unwrap().timestamp_millis(), 1_796_205_600_500);
        assert!(parse_time("tomorrow").is_err());
        assert!((parse_time("now").unwrap() - chrono::Utc::now()).num_seconds().abs() <= 1);
    }
}
