//! The console in a real browser (Debian's headless Chromium through chromedriver): the whole
//! flow a person follows on the built-in sandboxes, and the SDK's settings forms rendered by
//! react-jsonschema-form and JSON Forms. Screenshots of each page go to
//! `target/console-screenshots/`.

mod driver;
mod flow;
mod forms;
