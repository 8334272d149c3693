//! Debian's Chromium, headless, driven through its chromedriver over WebDriver (fantoccini).
//! A missing browser fails the test with how to install it: it never skips.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long a page may take to show what a test waits for.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A headless Chromium session; the browser and its driver stop when it is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    pub downloads: tempfile::TempDir,
    shots: PathBuf,
}

fn program(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.exists(),
        "{} not found: the browser tests need Debian's Chromium and its driver \
         (apt-get install chromium chromium-driver), or {variable} set to where it is",
        path.display()
    );
    path
}

/// A free loopback port for chromedriver (which cannot be told to pick one).
fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    socket.local_addr().expect("its address").port()
}

/// Where the screenshots go: `target/console-screenshots/<group>/`.
fn screenshot_dir(group: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("console-screenshots").join(group);
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    dir
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; screenshots under `group`.
    pub async fn start(group: &str) -> Browser {
        let chromedriver = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let downloads = tempfile::tempdir().expect("a downloads folder");
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let mut driver = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts");
            let capabilities = json!({
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    // As root, in a closed network: no sandbox, no background connections.
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--window-size=1280,1400",
                        format!("--user-data-dir={}", profile.path().display()),
                    ],
                    "prefs": {
                        "download.default_directory": downloads.path(),
                        "download.prompt_for_download": false,
                    },
                },
            });
            let Value::Object(capabilities) = capabilities else {
                unreachable!("a JSON object")
            };
            let started = Instant::now();
            while started.elapsed() < PATIENCE {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                match ClientBuilder::new(connector)
                    .capabilities(capabilities.clone())
                    .connect(&format!("http://127.0.0.1:{port}"))
                    .await
                {
                    Ok(client) => {
                        return Browser {
                            client,
                            driver,
                            _profile: profile,
                            downloads,
                            shots: screenshot_dir(group),
                        }
                    }
                    Err(e) => {
                        last_error = e.to_string();
                        if driver.try_wait().ok().flatten().is_some() {
                            break; // the port was taken: another one
                        }
                        tokio::time::sleep(Duration::from_millis(150)).await;
                    }
                }
            }
            let _ = driver.kill();
            let _ = driver.wait();
        }
        panic!("no browser session from chromedriver: {last_error}");
    }

    /// Scrolls the element at `css` to the top, then [`screenshot`](Self::screenshot).
    pub async fn screenshot_of(&self, name: &str, css: &str) {
        let element = self.find(css).await;
        let arg = serde_json::to_value(&element).expect("an element reference");
        self.eval("arguments[0].scrollIntoView({block: 'start'})", vec![arg])
            .await;
        self.screenshot(name).await;
    }

    /// Writes the page as `target/console-screenshots/<group>/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png)
            .expect("the screenshot written");
    }

    /// Opens `url`.
    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("the page opens");
    }

    /// The element at `css`, once it is there.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => panic!(
                "{css} did not appear ({e}); the page says:\n{}",
                self.text().await
            ),
        }
    }

    /// Every element at `css` now.
    pub async fn all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("a query")
    }

    /// Clicks the element at `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("a click");
    }

    /// Replaces what the input at `css` holds with `text`, as a person types it.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("the input cleared");
        input.send_keys(text).await.expect("typing");
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => format!("(no page: {e})"),
        }
    }

    /// The page's markup as it is now.
    pub async fn source(&self) -> String {
        self.client.source().await.expect("the page source")
    }

    /// Waits until the page's text contains `wanted`.
    pub async fn wait_text(&self, wanted: &str) -> String {
        let started = Instant::now();
        loop {
            let text = self.text().await;
            if text.contains(wanted) {
                return text;
            }
            if started.elapsed() > PATIENCE {
                panic!("the page never said {wanted:?}; it says:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `script` (a JavaScript expression's body, `return …`) returns `true`.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let started = Instant::now();
        loop {
            let value = self
                .client
                .execute(script, vec![])
                .await
                .expect("a script runs");
            if value == Value::Bool(true) {
                return;
            }
            if started.elapsed() > PATIENCE {
                panic!(
                    "{what} never happened; the page says:\n{}",
                    self.text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` with `args`, its value.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .expect("a script runs")
    }
}

impl Browser {
    /// Ends the session (the browser quits) and stops the driver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        let _ = client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session ends with its driver (which takes its browser with it).
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
