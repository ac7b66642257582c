//! Ctrl-C during training: the first stops training after the epoch in progress (checkpointed
//! when checkpoints are on, so the run can be resumed); a second one, or SIGTERM (a scheduler's
//! or `timeout`'s stop), quits at once, and still leaves no hidden half-built run behind: a run
//! with resumable checkpoints is kept under its name and the message says how to resume it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Installs the handlers and returns the flag the first Ctrl-C sets. Should the handlers not
/// install (no signals on this platform), the signals keep their default: quit at once.
/// (A thread that cannot start is not handled: the process could not run training either.)
pub fn on_ctrl_c() -> Arc<AtomicBool> {
    let asked = Arc::new(AtomicBool::new(false));
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
        return asked;
    };
    let flag = Arc::clone(&asked);
    let _watcher = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if signal == SIGINT && !flag.swap(true, Ordering::SeqCst) {
                    continue; // the first Ctrl-C: the loop stops after this epoch
                }
                let left = kiln_train::abandon_staged();
                // Worded as the first Ctrl-C's error is, after the same prefix.
                let stopped = match signal {
                    SIGTERM => "error: terminated (SIGTERM)",
                    _ => "error: interrupted (a second Ctrl-C)",
                };
                for dir in &left.kept {
                    eprintln!(
                        "{stopped}; the checkpoints so far are kept in {dir}: continue with \
                         `kiln train --resume {dir}`",
                        dir = dir.display()
                    );
                }
                for dir in &left.finished {
                    eprintln!(
                        "{stopped}; the run had been written already: {}",
                        dir.display()
                    );
                }
                if left.kept.is_empty() && left.finished.is_empty() {
                    eprintln!(
                        "{stopped}; nothing was kept (no checkpoint had been written; \
                         train.checkpoint_every = N writes them, for --resume)"
                    );
                }
                // The shell's status for a process ended by this signal.
                std::process::exit(128 + signal);
            }
        });
    asked
}
