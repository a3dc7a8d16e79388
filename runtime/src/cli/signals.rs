//! Stage 8, CLI: Ctrl-C and SIGTERM while `upgrade`/`downgrade` runs: stop, cancel the running statement, roll back, report.
//!
//! The first signal raises the run's [`StopFlag`] (the executor stops before its next
//! statement, rolls back and releases the lock) and, on PostgreSQL, cancels the statement the
//! server is running from a second connection, as psql does. A second signal exits at once;
//! the server then rolls back when it sees the connection close.

use std::future::Future;
use std::time::Duration;

use crate::apply::{self, StopFlag};

use super::output::Out;

/// The exit code after SIGINT (128 + 2), as shells report it.
pub(crate) const EXIT_SIGINT: u8 = 130;
/// The exit code after SIGTERM (128 + 15).
pub(crate) const EXIT_SIGTERM: u8 = 143;

/// The signals that stop a run.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts listening; `None` when the handlers cannot be installed (the default
    /// behaviour, ending the process, stays).
    fn new() -> Option<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Some(Signals {
                int: signal(SignalKind::interrupt()).ok()?,
                term: signal(SignalKind::terminate()).ok()?,
            })
        }
        #[cfg(not(unix))]
        {
            Some(Signals {})
        }
    }

    /// The next signal: its name and the exit code it maps to.
    async fn recv(&mut self) -> (&'static str, u8) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => ("SIGINT", EXIT_SIGINT),
                _ = self.term.recv() => ("SIGTERM", EXIT_SIGTERM),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            ("Ctrl-C", EXIT_SIGINT)
        }
    }
}

/// Runs `run` (an upgrade or downgrade using `stop`) to its end, handling signals meanwhile.
/// Returns its result and, when a signal arrived, the exit code it maps to.
pub(crate) async fn run_interruptible<T>(
    run: impl Future<Output = T>,
    stop: &StopFlag,
    url: &str,
    out: &Out,
) -> (T, Option<u8>) {
    let Some(mut signals) = Signals::new() else {
        return (run.await, None);
    };
    let mut run = std::pin::pin!(run);
    let mut code = None;
    loop {
        tokio::select! {
            result = &mut run => return (result, code),
            (name, exit) = signals.recv() => {
                if code.is_some() {
                    out.error(
                        &format!(
                            "{name} again: exiting without waiting; the database rolls back the \
                             open transaction when it sees the connection close"
                        ),
                        None,
                    );
                    std::process::exit(i32::from(exit));
                }
                code = Some(exit);
                stop.request(name);
                out.info(format!(
                    "{name}: stopping: cancelling the running statement and rolling back \
                     (again to exit at once)"
                ));
                match tokio::time::timeout(
                    Duration::from_secs(5),
                    apply::cancel_running(url, stop),
                )
                .await
                {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => out.warning(format!(
                        "could not cancel the running statement ({e}); the run stops after it"
                    )),
                    Err(_) => out.warning(
                        "could not cancel the running statement within 5 s; the run stops after it",
                    ),
                }
            }
        }
    }
}
