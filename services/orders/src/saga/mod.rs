//! The checkout saga, orchestrated by orders:
//!
//! ```text
//! reserve stock ──ok──> charge payment ──captured──> (CONFIRMED) commit stock ──> done
//!      │                     │
//!      └─fails───────────────┴─declined/fails──> (CANCELLED) compensate ──> done
//!                                                 release stock, refund if charged
//! ```
//!
//! Each step's outcome is recorded (events + saga row) before the next step
//! starts, so a runner that dies leaves a saga another runner can resume:
//! every call is idempotent per order id, so repeating a step is safe. A
//! charge whose outcome is unknown (timeout) is resolved during compensation
//! by repeating it with the same idempotency key, then refunding if needed.

mod recovery;
mod runner;

pub use recovery::spawn_recovery;
pub use runner::SagaRunner;

/// Where a saga stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Reserve,
    Charge,
    Commit,
    Compensate,
    Done,
}

impl Step {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "reserve" => Self::Reserve,
            "charge" => Self::Charge,
            "commit" => Self::Commit,
            "compensate" => Self::Compensate,
            "done" => Self::Done,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserve => "reserve",
            Self::Charge => "charge",
            Self::Commit => "commit",
            Self::Compensate => "compensate",
            Self::Done => "done",
        }
    }
}
