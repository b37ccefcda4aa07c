//! The toxics that decide *when* bytes leave — latency, slicer, bandwidth —
//! with Toxiproxy's semantics:
//!
//! - latency delays each chunk from the moment it arrived, and chunks are
//!   in flight together: a message read in N pieces is delayed once, not N
//!   times, and a stream keeps its throughput (only its start is late);
//! - chunks leave in the order they came, jitter or not;
//! - bandwidth is a rate over the stream: every piece waits for the line to
//!   be free after the one before it (absolute times, so a timer's rounding
//!   is not added per chunk), and a large chunk leaves in pieces of at most
//!   100 ms worth, as Toxiproxy sends them;
//! - the slicer cuts each chunk into slices with its delay between them.
//!
//! The delays are worked out when a chunk reaches the head of the queue and
//! again whenever the toxics change, so removing a latency toxic releases
//! what waits at once, and adding one holds back what has not left yet.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::toxics::{self, Active};

/// Bytes held back at most per direction of a connection; while the queue is
/// this full the pipe stops reading, and TCP's flow control slows the sender.
/// With 200 ms of latency this still carries 20 MiB/s.
pub const MAX_QUEUED: usize = 4 * 1024 * 1024;

/// Bytes read but not written yet, oldest first, with when each may leave.
#[derive(Debug, Default)]
pub struct Outbox {
    queue: VecDeque<Pending>,
    queued: usize,
    /// Under a bandwidth limit: when the line is free again.
    line_free_at: Option<Instant>,
}

#[derive(Debug)]
struct Pending {
    arrival: Instant,
    bytes: Vec<u8>,
    written: usize,
    /// When the chunk may start to leave: its arrival plus its latency.
    due: Option<Instant>,
    /// When its previous slice left (the slicer's delay counts from then).
    last_slice_at: Option<Instant>,
    /// The next piece to write: how long, and when.
    next: Option<Piece>,
}

/// One write: `len` bytes of the head chunk, not before `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub len: usize,
    pub at: Instant,
}

impl Outbox {
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether the pipe may read more.
    pub fn has_room(&self) -> bool {
        self.queued < MAX_QUEUED
    }

    /// Queues `bytes`, which arrived at `arrival`.
    pub fn push(&mut self, arrival: Instant, bytes: Vec<u8>) {
        self.queued += bytes.len();
        self.queue.push_back(Pending { arrival, bytes, written: 0, due: None, last_slice_at: None, next: None });
    }

    /// The toxics changed: what has not left yet is planned again.
    pub fn replan(&mut self) {
        if let Some(head) = self.queue.front_mut() {
            head.due = None;
            head.next = None;
        }
    }

    /// The next write: planned from `active` the first time it is asked for,
    /// and kept until it is written or the toxics change. `None` when empty.
    pub fn next(&mut self, active: &Active) -> Option<Piece> {
        let line_free_at = self.line_free_at;
        let head = self.queue.front_mut()?;
        if let Some(next) = head.next {
            return Some(next);
        }
        let due = *head.due.get_or_insert_with(|| head.arrival + active.latency_delay());
        let left = head.bytes.len() - head.written;
        let mut len = left;
        let mut at = due;
        if let Some((_, average, variation, delay_us)) = &active.slicer {
            len = toxics::slice(left, *average, *variation);
            if let Some(last) = head.last_slice_at {
                at = at.max(last + Duration::from_micros(*delay_us));
            }
        }
        if let Some((_, rate)) = &active.bandwidth
            && *rate > 0
        {
            len = len.min(toxics::bytes_in(Duration::from_millis(100), *rate).max(1));
            at = at.max(line_free_at.unwrap_or(at)) + toxics::transfer_time(len, *rate);
        }
        let piece = Piece { len, at };
        head.next = Some(piece);
        Some(piece)
    }

    /// The bytes of the planned piece (see [`Outbox::next`]).
    pub fn piece(&self) -> &[u8] {
        let head = self.queue.front().expect("a planned piece");
        let piece = head.next.expect("a planned piece");
        &head.bytes[head.written..head.written + piece.len]
    }

    /// The planned piece was written at `now`.
    pub fn written(&mut self, now: Instant, bandwidth: bool) {
        let head = self.queue.front_mut().expect("a planned piece");
        let piece = head.next.take().expect("a planned piece");
        head.written += piece.len;
        head.last_slice_at = Some(now);
        // The line's schedule, not the moment the write finished: a late
        // timer does not lower the rate that follows.
        self.line_free_at = bandwidth.then_some(piece.at);
        if head.written == head.bytes.len() {
            self.queued -= head.bytes.len();
            self.queue.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latency(ms: u64) -> Active {
        Active { latency: vec![("l".into(), ms, 0)], ..Active::default() }
    }

    fn write_all(outbox: &mut Outbox, active: &Active) -> Vec<(usize, Instant)> {
        let mut writes = Vec::new();
        while let Some(piece) = outbox.next(active) {
            writes.push((piece.len, piece.at));
            outbox.written(piece.at, active.bandwidth.is_some());
        }
        writes
    }

    #[test]
    fn chunks_are_delayed_from_their_own_arrival_not_one_after_another() {
        let start = Instant::now();
        let mut outbox = Outbox::default();
        for i in 0..4 {
            outbox.push(start + Duration::from_millis(10 * i), vec![0; 100]);
        }
        let times: Vec<_> = write_all(&mut outbox, &latency(300)).iter().map(|(_, at)| *at - start).collect();
        let expected: Vec<_> = (0..4).map(|i| Duration::from_millis(300 + 10 * i)).collect();
        assert_eq!(times, expected);
    }

    #[test]
    fn bandwidth_paces_the_stream_as_a_whole_in_pieces_of_a_tenth_of_a_second() {
        let start = Instant::now();
        let mut outbox = Outbox::default();
        // 100 KB at 100 KB/s (Toxiproxy's KB is 1000 bytes): one second, in
        // ten pieces of 10 KB, each 100 ms after the one before.
        outbox.push(start, vec![0; 60_000]);
        outbox.push(start, vec![0; 40_000]);
        let active = Active { bandwidth: Some(("b".into(), 100)), ..Active::default() };
        let writes = write_all(&mut outbox, &active);
        assert_eq!(writes.len(), 10, "{writes:?}");
        for (i, (len, at)) in writes.iter().enumerate() {
            assert_eq!(*len, 10_000);
            assert_eq!(*at - start, Duration::from_millis(100 * (i as u64 + 1)));
        }
    }

    #[test]
    fn the_slicer_leaves_its_delay_between_slices_of_a_chunk() {
        let start = Instant::now();
        let mut outbox = Outbox::default();
        outbox.push(start, vec![0; 1000]);
        let active = Active { slicer: Some(("s".into(), 100, 0, 20_000)), ..Active::default() };
        let writes = write_all(&mut outbox, &active);
        assert_eq!(writes.len(), 10);
        assert!(writes.iter().all(|(len, _)| *len == 100));
        assert_eq!(writes[9].1 - writes[0].1, Duration::from_millis(9 * 20));
    }

    #[test]
    fn a_change_of_toxics_replans_what_has_not_left() {
        let start = Instant::now();
        let mut outbox = Outbox::default();
        outbox.push(start, vec![1; 10]);
        assert_eq!(outbox.next(&latency(1000)).unwrap().at, start + Duration::from_secs(1));
        outbox.replan();
        assert_eq!(outbox.next(&Active::default()).unwrap().at, start, "released once the latency is removed");
    }

    #[test]
    fn the_queue_stops_taking_bytes_when_full_and_takes_again_once_written() {
        let mut outbox = Outbox::default();
        outbox.push(Instant::now(), vec![0; MAX_QUEUED]);
        assert!(!outbox.has_room());
        let none = Active::default();
        write_all(&mut outbox, &none);
        assert!(outbox.has_room() && outbox.is_empty());
    }
}
