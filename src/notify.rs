//! Keyspace event notifications (Redis's notify.c): commands, expiry and
//! eviction report what happened to a key; when `notify-keyspace-events`
//! enables the event's class, it is published on `__keyspace@<db>__:<key>`
//! (message: the event) and/or `__keyevent@<db>__:<event>` (message: the key).

pub use crate::config::notify as class;
use crate::server::Server;

impl Server {
    /// notifyKeyspaceEvent. Cheap when notifications are off: one test.
    #[inline]
    pub fn notify_keyspace_event(&mut self, class: i32, event: &str, key: &[u8], db: usize) {
        let flags = self.config.notify_keyspace_events;
        if flags & class == 0 {
            return;
        }
        self.publish_keyspace_event(flags, event, key, db);
    }

    #[inline(never)]
    fn publish_keyspace_event(&mut self, flags: i32, event: &str, key: &[u8], db: usize) {
        if flags & class::KEYSPACE != 0 {
            let mut chan = format!("__keyspace@{}__:", db).into_bytes();
            chan.extend_from_slice(key);
            self.pubsub_publish(&chan, event.as_bytes());
        }
        if flags & class::KEYEVENT != 0 {
            let chan = format!("__keyevent@{}__:{}", db, event);
            self.pubsub_publish(chan.as_bytes(), key);
        }
    }
}
