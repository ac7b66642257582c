//! Ctrl-C during training: the first stops training after the epoch in progress (checkpointed
//! when checkpoints are on, so the run can be resumed); a second one quits at once.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use signal_hook::consts::SIGINT;

/// Installs the handlers and returns the flag the first Ctrl-C sets. Should the handlers not
/// install (no signals on this platform), Ctrl-C keeps its default: quit at once.
pub fn on_ctrl_c() -> Arc<AtomicBool> {
    let asked = Arc::new(AtomicBool::new(false));
    // Registered first, so it sees the flag before the second handler sets it: a Ctrl-C that
    // finds it already set ends the process with the shell's status for SIGINT.
    let _ = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&asked))
        .and_then(|_| signal_hook::flag::register(SIGINT, Arc::clone(&asked)));
    asked
}
