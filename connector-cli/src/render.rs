//! Human output: the connection-test checklist and the provider list.

use std::fmt::Write as _;

use connector_core::check::{StepStatus, TestReport};
use connector_core::{ErrorKind, ProviderDescriptor};

/// The checklist: one line per step (✓ passed, ✗ failed, – skipped), the hint under a failure.
pub fn checklist(descriptor: &ProviderDescriptor, report: &TestReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} connection test", descriptor.name);
    for step in &report.steps {
        let mark = match step.status {
            StepStatus::Passed => "\u{2713}",
            StepStatus::Failed => "\u{2717}",
            StepStatus::Skipped => "\u{2013}",
        };
        match &step.error {
            Some(ErrorKind::InvalidSettings(fields)) if !fields.is_empty() => {
                let _ = writeln!(out, "  {mark} {}: {} problem(s)", step.title, fields.len());
                for f in fields {
                    let _ = writeln!(out, "      {}: {}", f.field, f.message);
                }
            }
            _ => {
                let _ = writeln!(out, "  {mark} {}: {}", step.title, step.message);
            }
        }
        if let Some(hint) = &step.hint {
            let _ = writeln!(out, "      hint: {hint}");
        }
    }
    let failed = report
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Failed)
        .count();
    let total = report.steps.len();
    if report.passed {
        let _ = writeln!(out, "Result: passed ({total} of {total} steps)");
    } else {
        let _ = writeln!(out, "Result: failed ({failed} of {total} steps failed)");
    }
    out
}

/// The provider table of `connector list`.
pub fn provider_list(providers: &[&ProviderDescriptor]) -> String {
    let width = providers
        .iter()
        .map(|d| d.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut out = String::new();
    for d in providers {
        let caps: Vec<_> = d
            .capabilities
            .iter()
            .map(|c| {
                serde_json::to_value(c)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        let _ = writeln!(
            out,
            "{:width$}  {} - {} [{}]",
            d.id,
            d.name,
            d.description,
            caps.join(", ")
        );
    }
    out
}
