//! Tells long-running calls (subscriptions) that the server is stopping. A graceful
//! shutdown waits for every call to finish, and a subscription never finishes on its own,
//! so without this signal a shutdown would always run into its grace period.

use tokio::sync::watch;

/// Fires the [`ShutdownSignal`]s made with it.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// Resolves once the server is stopping. Cheap to clone, one per call.
#[derive(Clone, Debug)]
pub struct ShutdownSignal(Option<watch::Receiver<bool>>);

/// A linked trigger and signal.
pub fn shutdown_channel() -> (ShutdownTrigger, ShutdownSignal) {
    let (sender, receiver) = watch::channel(false);
    (ShutdownTrigger(sender), ShutdownSignal(Some(receiver)))
}

impl ShutdownTrigger {
    /// Tells every signal that the server is stopping.
    pub fn fire(&self) {
        self.0.send_replace(true);
    }
}

impl ShutdownSignal {
    /// A signal that never fires, for services used outside [`crate::serve`].
    pub fn never() -> Self {
        ShutdownSignal(None)
    }

    /// Resolves once the trigger fired or was dropped (its server is gone either way).
    pub async fn stopped(&mut self) {
        match &mut self.0 {
            Some(receiver) => {
                let _ = receiver.wait_for(|stopping| *stopping).await;
            }
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn fires_every_clone() {
        let (trigger, signal) = shutdown_channel();
        let mut a = signal.clone();
        let mut b = signal;
        trigger.fire();
        a.stopped().await;
        b.stopped().await;
    }

    #[tokio::test]
    async fn never_does_not_fire() {
        let mut signal = ShutdownSignal::never();
        assert!(tokio::time::timeout(Duration::from_millis(20), signal.stopped())
            .await
            .is_err());
    }
}
