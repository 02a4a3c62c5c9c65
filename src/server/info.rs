//! INFO: one function per section, Redis 7.0's field names and order.

use super::Server;

impl Server {
    pub fn info_keyspace(&self, out: &mut String) {
        out.push_str("# Keyspace\r\n");
        for db in &self.dbs {
            if db.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "db{}:keys={},expires={},avg_ttl={}\r\n",
                db.id,
                db.len(),
                db.expires_len(),
                db.avg_ttl
            ));
        }
    }
}
