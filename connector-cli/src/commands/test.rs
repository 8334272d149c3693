//! `connector <provider> test`: the named-step connection test, as a checklist or JSON.

use std::time::Duration;

use clap::{ArgMatches, Command};
use connector_core::check::{Checklist, SETTINGS_STEP};
use connector_core::{ProviderDescriptor, StepStatus};

use super::sandbox;
use crate::runtime::{block_on_value, print_json, print_out};
use crate::{args, config, exit, render};

/// The command.
pub fn cli(d: &ProviderDescriptor) -> Command {
    let steps: Vec<String> = std::iter::once(SETTINGS_STEP)
        .chain(d.checks().iter().copied())
        .enumerate()
        .map(|(i, s)| format!("  {}. {}", i + 1, s.title))
        .collect();
    Command::new("test")
        .about("Test the connection step by step and say how to fix what fails")
        .long_about(format!(
            "Test the connection step by step. Steps after a failed prerequisite are skipped. Exit status 0 only when every step passed. The whole test has 30 s (CONNECTOR_TEST_TIMEOUT=SECONDS to change it): a host that accepts connections and never answers fails the step under way instead of keeping the test waiting for minutes.\n\nSteps:\n{}\n\n{}",
            steps.join("\n"),
            args::settings_help(d)
        ))
        .after_help(exit::TABLE)
        .arg(args::config())
        .arg(args::connection())
        .args(sandbox::source_args(d))
        .arg(args::json("Print the report as JSON"))
}

/// Runs it.
pub fn exec(d: &'static ProviderDescriptor, m: &ArgMatches) -> u8 {
    if let Some(name) = m.try_get_one::<String>("connection").ok().flatten() {
        return super::connections::test_of(d, name, m.get_flag("json"));
    }
    let source = match config::source(d, m) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let report = block_on_value(async {
        let schema = d.settings_schema();
        match config::resolve(d, &schema, source).await {
            Ok(resolved) => {
                connector_core::test_connection_with(d, resolved.raw, &resolved.context).await
            }
            Err(error) => {
                let mut checks = Checklist::new(d.id(), d.checks());
                checks.record(SETTINGS_STEP.id, Err(error), Duration::ZERO);
                checks.finish()
            }
        }
    });
    let Some(report) = report else {
        return exit::OTHER;
    };
    let printed = if m.get_flag("json") {
        print_json(&serde_json::to_value(&report).unwrap_or_default())
    } else {
        print_out(&render::checklist(d, &report, render::colour_stdout()))
    };
    if printed != exit::OK {
        return printed;
    }
    exit_code(&report)
}

/// The exit status of a connection test: that of its first failed step.
pub(crate) fn exit_code(report: &connector_core::TestReport) -> u8 {
    report
        .steps
        .iter()
        .find(|s| s.status == StepStatus::Failed)
        .map(|s| s.error.as_ref().map_or(exit::OTHER, exit::code_for))
        .unwrap_or(exit::OK)
}
