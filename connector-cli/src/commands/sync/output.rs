//! Where the CLI's sync delivers: the events as JSON lines to `--events` or stdout, and the
//! users to `--output`, each complete before it is renamed into place (the users file after
//! the events).

use std::io::Write;
use std::path::PathBuf;

use connector_app::sync::SyncOutput;
use connector_core::sync::Event;
use connector_core::User;

use crate::exit;
use crate::output::{Format, Sink, UserWriter};

/// The sync's outputs, and which of them failed.
pub(super) struct CliOutput {
    events: Option<PathBuf>,
    users: Option<(PathBuf, UserWriter<Sink>)>,
    /// The option whose output failed, for the message.
    pub(super) failed: Option<&'static str>,
}

impl CliOutput {
    /// Opens the users file (complete only when renamed into place); an error is reported
    /// and its exit status returned.
    pub(super) fn open(
        events: Option<PathBuf>,
        users: Option<PathBuf>,
        format: Format,
    ) -> Result<CliOutput, u8> {
        let users = match users {
            Some(path) => match Sink::open(Some(&path)).and_then(|s| UserWriter::new(format, s)) {
                Ok(w) => Some((path, w)),
                Err(e) => {
                    eprintln!("error: --output {}: {e}", path.display());
                    return Err(exit::USAGE);
                }
            },
            None => None,
        };
        Ok(CliOutput {
            events,
            users,
            failed: None,
        })
    }

    /// Whether the events go to stdout.
    pub(super) fn events_on_stdout(&self) -> bool {
        self.events.is_none()
    }
}

impl SyncOutput for CliOutput {
    fn wants_users(&self) -> bool {
        self.users.is_some()
    }

    fn user(&mut self, user: &User) -> std::io::Result<()> {
        match self.users.as_mut() {
            Some((_, w)) => w
                .write(user)
                .inspect_err(|_| self.failed = Some("--output")),
            None => Ok(()),
        }
    }

    fn deliver(&mut self, events: &[Event]) -> std::io::Result<()> {
        let pending = match self.users.take() {
            Some((_, w)) => Some(w.finish().inspect_err(|_| self.failed = Some("--output"))?),
            None => None,
        };
        write_events(self.events.as_deref(), events)
            .inspect_err(|_| self.failed = Some("--events"))?;
        match pending {
            Some(sink) => sink
                .commit()
                .inspect_err(|_| self.failed = Some("--output")),
            None => Ok(()),
        }
    }
}

/// Writes the events as JSON lines to `path` (complete, then renamed into place) or stdout,
/// flushed (and synced when stdout is a file). Any write error, a consumer that stopped
/// reading (a broken pipe) included, is an error: the events were not all delivered, so the
/// sync must not commit.
fn write_events(path: Option<&std::path::Path>, events: &[Event]) -> std::io::Result<()> {
    let mut sink = Sink::open(path)?;
    let undelivered = |written: usize, e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::BrokenPipe => "the reader stopped reading (broken pipe)".to_owned(),
            _ => e.to_string(),
        };
        std::io::Error::new(
            e.kind(),
            format!(
                "{why} after {written} of {} event{} were written",
                events.len(),
                if events.len() == 1 { "" } else { "s" }
            ),
        )
    };
    for (written, event) in events.iter().enumerate() {
        let line = serde_json::to_string(event).map_err(std::io::Error::other)?;
        sink.write_all(line.as_bytes())
            .and_then(|()| sink.write_all(b"\n"))
            .map_err(|e| undelivered(written, e))?;
    }
    sink.commit().map_err(|e| undelivered(events.len(), e))
}
