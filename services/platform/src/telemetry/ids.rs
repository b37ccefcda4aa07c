//! Span and trace ids: random, except for a span recorded after the fact
//! with ids that someone else chose — a browser's span, which the
//! storefront reports once the page it led to is shown, and which the
//! requests it caused already name as their parent.

use std::cell::Cell;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};

thread_local! {
    static CHOSEN: Cell<Option<(TraceId, SpanId)>> = const { Cell::new(None) };
}

/// The provider's id generator (see the module's documentation).
#[derive(Debug, Default)]
pub(super) struct Ids {
    random: RandomIdGenerator,
}

impl IdGenerator for Ids {
    fn new_trace_id(&self) -> TraceId {
        CHOSEN.with(Cell::get).map_or_else(|| self.random.new_trace_id(), |(trace_id, _)| trace_id)
    }

    fn new_span_id(&self) -> SpanId {
        CHOSEN.with(Cell::get).map_or_else(|| self.random.new_span_id(), |(_, span_id)| span_id)
    }
}

/// Runs `start`, which must start one root span and nothing else on this
/// thread, with these ids for it.
pub fn with_chosen_ids<T>(trace_id: TraceId, span_id: SpanId, start: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CHOSEN.with(|chosen| chosen.set(None));
        }
    }
    CHOSEN.with(|chosen| chosen.set(Some((trace_id, span_id))));
    let _reset = Reset;
    start()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chosen_ids_are_used_inside_and_random_ones_outside() {
        let ids = Ids::default();
        let (trace_id, span_id) = (TraceId::from(7u128), SpanId::from(9u64));
        let inside = with_chosen_ids(trace_id, span_id, || (ids.new_trace_id(), ids.new_span_id()));
        assert_eq!(inside, (trace_id, span_id));
        assert_ne!(ids.new_span_id(), span_id);
        assert_ne!(ids.new_trace_id(), trace_id);
    }
}
