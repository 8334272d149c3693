//! # connector-app
//!
//! The SDK's use cases as a library: what the `connector` command line does, as functions
//! with typed inputs, progress callbacks and typed results, so that a product embedding the
//! SDK (or the connection console) runs them without the binary. The CLI parses arguments,
//! calls these and renders what they return.
//!
//! - [`connections`]: save a connection ([`connections::add`]), edit one without retyping the
//!   secrets that stay ([`connections::Draft`]), test and record ([`connections::test`]).
//! - [`export`]: every user of a connection into the caller's output, finished only when
//!   whole and acceptable ([`export::run`]), and the outcome recorded ([`export::record`]).
//! - [`sync`]: who joined, moved and left since the last sync of a saved connection: plan (a
//!   full listing or the provider's change feed, diffed against the stored state), the
//!   mass-change guard, deliver (the caller's [`sync::SyncOutput`], durably), then commit.
//!
//! ```no_run
//! use connector_app::sync::{self, SyncOutput, SyncRequest};
//! use connector_core::sync::Event;
//!
//! /// Events handed to the product's provisioning queue.
//! struct Queue(Vec<Event>);
//! impl SyncOutput for Queue {
//!     fn deliver(&mut self, events: &[Event]) -> std::io::Result<()> {
//!         self.0.extend_from_slice(events); // durably, in a real product
//!         Ok(())
//!     }
//! }
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let store = connector_store::open_default()?;
//! let mut queue = Queue(Vec::new());
//! let report = sync::run(&*store, &SyncRequest::new("Payroll"), &mut queue, &mut |_| {}).await?;
//! println!("{} events, state version {:?}", report.events, report.committed);
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod connections;
pub mod export;
pub mod sync;

/// `n` with thousands separators (`25,000`), as every count in messages is written.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
