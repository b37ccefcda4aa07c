//! The control room's one-click faults, each a chaos-proxy toxic (or the
//! proxy switched off), named so that the room can tell its own apart.

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneClickFault {
    /// A second of latency on every answer.
    Slow,
    /// The proxy stops accepting connections (Toxiproxy's `enabled: false`).
    Down,
    /// Every HTTP request answered 503 by the proxy itself.
    Http503,
    /// Connections reset as soon as they carry data.
    Resets,
}

impl OneClickFault {
    pub const ALL: [OneClickFault; 4] =
        [OneClickFault::Slow, OneClickFault::Down, OneClickFault::Http503, OneClickFault::Resets];

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|f| f.key() == raw).ok_or_else(|| format!("{raw:?} is not a fault of the room"))
    }

    /// The form's value, and the suffix of the toxic's name.
    pub fn key(self) -> &'static str {
        match self {
            OneClickFault::Slow => "slow",
            OneClickFault::Down => "down",
            OneClickFault::Http503 => "http-503",
            OneClickFault::Resets => "resets",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OneClickFault::Slow => "Slow (1 s)",
            OneClickFault::Down => "Down",
            OneClickFault::Http503 => "503 storm",
            OneClickFault::Resets => "Resets",
        }
    }

    /// The toxic to add (`None`: the proxy is switched off instead).
    pub fn toxic(self) -> Option<Value> {
        let name = format!("control-room-{}", self.key());
        match self {
            OneClickFault::Down => None,
            OneClickFault::Slow => Some(json!({
                "name": name, "type": "latency", "stream": "downstream", "toxicity": 1.0,
                "attributes": { "latency": 1000, "jitter": 0 },
            })),
            OneClickFault::Http503 => Some(json!({
                "name": name, "type": "http_status", "stream": "upstream", "toxicity": 1.0,
                "attributes": { "status": 503, "body": "injected by the control room" },
            })),
            OneClickFault::Resets => Some(json!({
                "name": name, "type": "reset_peer", "stream": "downstream", "toxicity": 1.0,
                "attributes": { "timeout": 0 },
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_reads_back_from_its_key_and_names_its_toxic_for_the_room() {
        for fault in OneClickFault::ALL {
            assert_eq!(OneClickFault::parse(fault.key()), Ok(fault));
            if let Some(toxic) = fault.toxic() {
                assert_eq!(toxic["name"], format!("control-room-{}", fault.key()));
            }
        }
        assert!(OneClickFault::parse("meteor").is_err());
    }
}
