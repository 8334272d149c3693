//! Where the CLI's export goes: the writer (JSONL, JSON or CSV to a file renamed into place,
//! or stdout), the fill-rate tally and the progress line; and what each failure says.

use connector_app::export::{ExportFailure, ExportOutput, Rejection};
use connector_core::{ExportStats, User};

use super::progress::Progress;
use super::{write_failed, UsersArgs, INTERRUPTED};
use crate::exit;
use crate::output::{Sink, UserWriter};
use crate::runtime::report_error;
use crate::summary::{count, Tally};

/// The export's output as the CLI writes it.
pub(super) struct CliExport<'a> {
    writer: Option<UserWriter<Sink>>,
    tally: &'a mut Tally,
    stats: &'a mut Option<ExportStats>,
    progress: Option<Progress>,
    /// Whether the failure, if any, came when finishing (renaming) rather than writing.
    finishing: bool,
}

impl<'a> CliExport<'a> {
    pub(super) fn new(
        writer: UserWriter<Sink>,
        tally: &'a mut Tally,
        stats: &'a mut Option<ExportStats>,
    ) -> Self {
        CliExport {
            writer: Some(writer),
            tally,
            stats,
            progress: None,
            finishing: false,
        }
    }

    /// Takes the progress line off the terminal.
    pub(super) fn clear_progress(&mut self) {
        if let Some(p) = self.progress.as_mut() {
            p.clear();
        }
    }
}

impl ExportOutput for CliExport<'_> {
    fn started(&mut self, stats: &ExportStats) {
        *self.stats = Some(stats.clone());
        self.progress = Some(Progress::new(stats.clone()));
    }

    fn write(&mut self, user: &User) -> std::io::Result<()> {
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the output is already finished"))?;
        writer.write(user)?;
        self.tally.add(user);
        if let Some(p) = self.progress.as_mut() {
            p.tick(self.tally.users());
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.finishing = true;
        match self.writer.take() {
            Some(w) => w.finish().and_then(Sink::commit),
            None => Ok(()),
        }
    }
}

/// Says why the export failed and that its output was not written; the exit status and the
/// error for `--summary-json` (none when a reader that stopped reading ended it).
pub(super) fn failed(
    failure: ExportFailure,
    args: &UsersArgs,
    tally: &Tally,
    destination: &str,
    started: bool,
    finishing: bool,
) -> (u8, Option<String>) {
    let not_written = || match &args.output {
        Some(p) => eprintln!(
            "{} was not written; an existing file there is unchanged",
            p.display()
        ),
        None => eprintln!("the output on stdout is incomplete"),
    };
    match failure {
        // A page size above the provider's maximum came from --page-size when it was given.
        ExportFailure::Provider(e) if !started && args.page_size.is_some() => {
            let code = crate::runtime::report_flag_error(&e, &[("page_size", "--page-size")]);
            (code, Some(e.to_string()))
        }
        ExportFailure::Provider(e) => {
            let code = report_error(&e);
            if started {
                not_written();
            }
            (code, Some(e.to_string()))
        }
        ExportFailure::Output(e) if finishing && e.kind() == std::io::ErrorKind::BrokenPipe => {
            (exit::OK, None)
        }
        ExportFailure::Output(e) => {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                not_written();
            }
            (write_failed(&e), Some(format!("writing the output: {e}")))
        }
        ExportFailure::Interrupted { users } => {
            eprintln!("interrupted after {} users", count(users));
            not_written();
            (INTERRUPTED, Some("interrupted".to_owned()))
        }
        ExportFailure::Rejected { rejection, summary } => {
            eprint!("{}", tally.render(&summary, destination));
            let problem = match &rejection {
                Rejection::Empty => "the export holds no user (check the filters and permissions; pass --allow-empty if an empty export is expected)".to_owned(),
                Rejection::FewerThan { users, min } => format!(
                    "only {} users were exported, fewer than --min-users {}",
                    count(*users),
                    count(*min)
                ),
                other => other.to_string(),
            };
            eprintln!("error: {problem}");
            if matches!(rejection, Rejection::Incomplete(_)) {
                eprintln!("hint: the account may lack a permission, or the server sent broken data; run `test`, or pass --accept-incomplete to keep such an export");
            }
            not_written();
            (exit::OTHER, Some(problem))
        }
        other => {
            eprintln!("error: {other}");
            not_written();
            (exit::OTHER, Some(other.to_string()))
        }
    }
}

impl CliExport<'_> {
    /// Whether the export started (its first page was asked for) and whether it failed when
    /// finishing.
    pub(super) fn phase(&self) -> (bool, bool) {
        (self.stats.is_some(), self.finishing)
    }
}
