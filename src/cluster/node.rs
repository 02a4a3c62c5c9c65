//! Server-side cluster lifecycle (clusterInit and config persistence): creating or
//! loading our identity from nodes.conf at start, and saving it whenever the
//! state changes in a way Redis persists.

use super::config::{self, Loaded};
use super::state::{todo, ClusterState};
use crate::server::Server;

impl Server {
    /// clusterInit: loads or creates nodes.conf and locks it. Errors are fatal at start.
    pub fn cluster_init(&mut self) -> Result<(), String> {
        let now = crate::util::mstime();
        let path = String::from_utf8_lossy(
            &self
                .config
                .get_str("cluster-config-file")
                .unwrap_or_else(|| b"nodes.conf".to_vec()),
        )
        .into_owned();
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(format!(
                    "Loading the cluster node config from {}: {}",
                    path, e
                ))
            }
        };
        let lock = config::lock_file(&path)?;
        let (mut st, fresh) = match config::parse_config(&text, now)? {
            Loaded::Ok(st) => {
                log::info!("Node configuration loaded, I'm {:.40}", st.me().name);
                (st, false)
            }
            Loaded::Empty => {
                let st = Box::new(ClusterState::new(crate::util::random_hex(40), now));
                log::warn!("No cluster configuration found, I'm {}", st.me().name);
                (st, true)
            }
        };
        st.config_file = path;
        st.config_fd = Some(lock);
        self.cluster = Some(st);
        self.cluster_update_my_address();
        self.cluster_listen()?;
        if fresh {
            self.cluster_save_config_or_die(true);
        }
        Ok(())
    }

    /// Our announced ports and hostname, from the configuration (clusterUpdateMyselfAnnouncedPorts).
    pub fn cluster_update_my_address(&mut self) {
        let port = match self.config.get_i64("cluster-announce-port") {
            0 => self.config.port as i64,
            p => p,
        } as u16;
        let cport = match self.config.get_i64("cluster-announce-bus-port") {
            0 => self.cluster_bus_port(),
            p => p as u16,
        };
        let hostname = String::from_utf8_lossy(
            &self
                .config
                .get_str("cluster-announce-hostname")
                .unwrap_or_default(),
        )
        .into_owned();
        let nofailover = self.config.get_bool("cluster-replica-no-failover");
        let announce_ip = self
            .config
            .get_str("cluster-announce-ip")
            .unwrap_or_default();
        let Some(st) = self.cluster.as_deref_mut() else {
            return;
        };
        let me = st.me_mut();
        me.port = port;
        me.pport = 0;
        me.cport = cport;
        me.hostname = hostname;
        // clusterUpdateMyselfFlags: peers learn it from our header flags.
        if nofailover {
            me.flags |= super::state::flags::NOFAILOVER;
        } else {
            me.flags &= !super::state::flags::NOFAILOVER;
        }
        if !announce_ip.is_empty() {
            me.ip = String::from_utf8_lossy(&announce_ip).into_owned();
        }
    }

    /// The port the bus listens on: cluster-port, or port + 10000.
    pub fn cluster_bus_port(&self) -> u16 {
        match self.config.get_i64("cluster-port") {
            0 => (self.config.port as u32 + 10000) as u16,
            p => p as u16,
        }
    }

    /// clusterSaveConfig: false when the file could not be written.
    pub fn cluster_save_config(&mut self, fsync: bool) -> bool {
        let Some(st) = self.cluster.as_deref_mut() else {
            return true;
        };
        st.todo &= !(todo::SAVE_CONFIG | todo::FSYNC_CONFIG);
        let text = config::config_text(st);
        let path = st.config_file.clone();
        if let Err(e) = crate::config::rewrite::write_atomically(&path, text.as_bytes(), fsync) {
            log::warn!("Could not save the cluster configuration: {}", e);
            return false;
        }
        // The lock follows the file: the rename replaced the inode we locked.
        match config::lock_file(&path) {
            Ok(f) => st.config_fd = Some(f),
            Err(e) => log::warn!("{}", e),
        }
        true
    }

    pub fn cluster_save_config_or_die(&mut self, fsync: bool) {
        if !self.cluster_save_config(fsync) {
            log::warn!("Fatal: can't update cluster config file.");
            std::process::exit(1);
        }
    }

    /// Schedules work for before-sleep (clusterDoBeforeSleep).
    pub fn cluster_todo(&mut self, flags: u32) {
        if let Some(st) = self.cluster.as_deref_mut() {
            st.todo |= flags;
        }
    }
}
