//! A pseudo-terminal for the tests of interactive prompts: the binary runs with a terminal as
//! its controlling terminal, stdin, stdout and stderr, as when a person types.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A program running on a pseudo-terminal.
pub(crate) struct Terminal {
    master: std::fs::File,
    child: std::process::Child,
    screen: Arc<Mutex<String>>,
    read_to: usize,
}

impl Terminal {
    /// Starts the `connector` binary with `args` and exactly the environment `env` (plus
    /// `PATH` and `HOME`).
    pub(crate) fn spawn(args: &[&str], env: &[(&str, &str)]) -> Terminal {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two file descriptors into the given integers.
        let made = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(made, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened and are owned here.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_connector"));
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .env("TERM", "dumb")
            .envs(env.iter().copied())
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave.try_clone().unwrap());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start connector on a terminal");
        drop(slave);
        let master = std::fs::File::from(master);
        let screen = Arc::new(Mutex::new(String::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once the program has exited and closed the terminal.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Terminal {
            master,
            child,
            screen,
            read_to: 0,
        }
    }

    /// Waits until `text` appears after what was already expected; panics with the screen
    /// after 30 s.
    pub(crate) fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            {
                let screen = self.screen.lock().unwrap();
                if let Some(at) = screen[self.read_to..].find(text) {
                    self.read_to += at + text.len();
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` never appeared:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types a line.
    pub(crate) fn type_line(&mut self, text: &str) {
        self.master
            .write_all(format!("{text}\n").as_bytes())
            .and_then(|()| self.master.flush())
            .unwrap();
    }

    /// Types a secret once the program has turned echo off (checked on the terminal itself,
    /// so the test cannot race the program).
    pub(crate) fn type_secret(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.echo_on() {
            assert!(
                Instant::now() < deadline,
                "echo never went off:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        self.type_line(text);
    }

    fn echo_on(&self) -> bool {
        // SAFETY: tcgetattr fills a termios for a valid descriptor.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            libc::tcgetattr(self.master.as_raw_fd(), &mut t) == 0 && t.c_lflag & libc::ECHO != 0
        }
    }

    /// Everything the program wrote so far.
    pub(crate) fn screen(&self) -> String {
        self.screen.lock().unwrap().clone()
    }

    /// Waits for the program to exit (30 s at most) and returns its exit code and screen.
    pub(crate) fn finish(mut self) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the reader drain what is left.
                std::thread::sleep(Duration::from_millis(100));
                return (status.code().unwrap_or(-1), self.screen());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the program did not exit:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
