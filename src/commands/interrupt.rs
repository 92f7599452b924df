//! Interruption: Ctrl-C (SIGINT) at a terminal and SIGTERM, which CI sends a cancelled job,
//! end a run the same way. The run's scheduler takes it from there.

/// Completes when the process is asked to stop.
pub async fn requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    // Without a SIGTERM handler, Ctrl-C still works; an error installing it means no
    // interruption can be told, so wait forever rather than end the run.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
