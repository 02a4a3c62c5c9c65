//! Command propagation (Redis's alsoPropagate / propagatePendingCommands): what a write
//! did is recorded as commands, per execution unit, and handed to the AOF (and, later,
//! to replicas and MULTI/EXEC, which reuse the same queue).
//!
//! call() records the command's own argv when it made the dataset dirty, or the argv
//! the handler rewrote it to (`rewrite_command`, `rewrite_arg`: relative expires made
//! absolute, blocking pops turned into plain pops, ...). Handlers may add more effects
//! (`also_propagate`) or suppress the command itself (`prevent_propagation`). Keys that
//! expire or are evicted are propagated as DEL/UNLINK. When the outermost call ends the
//! queue is flushed, wrapped in MULTI/EXEC when it holds more than one command.

use super::Server;
use crate::resp::{Argv, OwnedArgv};

/// Where an effect goes (PROPAGATE_AOF / PROPAGATE_REPL).
pub const TO_AOF: u8 = 1;
pub const TO_REPL: u8 = 2;
pub const TO_ALL: u8 = TO_AOF | TO_REPL;

/// One queued effect: a command in the context of a database.
pub struct Op {
    pub db: usize,
    pub argv: OwnedArgv,
    pub target: u8,
}

/// Per-command propagation flags, saved and restored around nested calls.
#[derive(Default)]
pub struct CallFrame {
    /// What to propagate instead of the command's argv.
    pub rewritten: Option<OwnedArgv>,
    /// preventCommandPropagation: the handler propagated its effects itself.
    pub prevent: bool,
    /// forceCommandPropagation: propagate even though nothing changed (FLUSHALL on empty DBs).
    pub force: bool,
    /// forceCommandPropagation(PROPAGATE_REPL) alone: replicas only (PUBLISH).
    pub force_repl: bool,
}

#[derive(Default)]
pub struct Propagation {
    /// server.also_propagate: effects of the running execution unit.
    pub pending: Vec<Op>,
    pub frame: CallFrame,
    /// call() nesting depth: the queue is flushed when the outermost call returns.
    pub depth: u32,
}

impl Server {
    /// shouldPropagate: is anyone listening (AOF on or being enabled; replicas, issue 6)?
    #[inline]
    pub fn should_propagate(&self) -> bool {
        self.aof.state != crate::aof::AofState::Off || self.repl_wants_stream()
    }

    /// alsoPropagate: queue a command to propagate after the running command.
    pub fn also_propagate<T: AsRef<[u8]>>(&mut self, db: usize, args: &[T]) {
        if !self.should_propagate() {
            return;
        }
        let argv = OwnedArgv::from_slices(args.iter());
        self.prop.pending.push(Op {
            db,
            argv,
            target: TO_ALL,
        });
        if self.prop.depth == 0 {
            // Outside any command (active expiry, eviction before a command runs):
            // every effect goes on its own, never wrapped in MULTI/EXEC.
            self.propagate_pending(false);
        }
    }

    /// rewriteClientCommandVector: propagate `args` instead of the running command.
    pub fn rewrite_command<T: AsRef<[u8]>>(&mut self, args: &[T]) {
        if !self.should_propagate() {
            return;
        }
        self.prop.frame.rewritten = Some(OwnedArgv::from_slices(args.iter()));
    }

    /// rewriteClientCommandArgument: replace (or append, when i == len) one argument
    /// of the running command's propagated argv.
    pub fn rewrite_arg(&mut self, argv: &Argv, i: usize, val: &[u8]) {
        if !self.should_propagate() {
            return;
        }
        let cur = self
            .prop
            .frame
            .rewritten
            .take()
            .unwrap_or_else(|| OwnedArgv::from_argv(argv));
        let mut out = OwnedArgv::default();
        let v = cur.view();
        for j in 0..v.len().max(i + 1) {
            if j == i {
                out.push(val);
            } else {
                out.push(v.get(j));
            }
        }
        self.prop.frame.rewritten = Some(out);
    }

    /// preventCommandPropagation.
    pub fn prevent_propagation(&mut self) {
        self.prop.frame.prevent = true;
    }

    /// forceCommandPropagation.
    pub fn force_propagation(&mut self) {
        self.prop.frame.force = true;
    }

    /// forceCommandPropagation(c, PROPAGATE_REPL): the command goes to replicas
    /// (not the AOF) even though it changed nothing.
    pub fn force_propagation_repl(&mut self) {
        self.prop.frame.force_repl = true;
    }

    /// propagateDeletion: an expired or evicted key goes out as DEL or UNLINK.
    pub fn propagate_deletion(&mut self, db: usize, key: &[u8], lazy: bool) {
        if !self.should_propagate() {
            return;
        }
        let cmd: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        self.also_propagate(db, &[cmd, key]);
    }

    /// Entering call(): a fresh frame for this command; returns the caller's.
    #[inline]
    pub fn propagation_enter(&mut self) -> CallFrame {
        self.prop.depth += 1;
        std::mem::take(&mut self.prop.frame)
    }

    /// Leaving call(): queue the command (or its rewrite) when it changed the
    /// dataset, restore the caller's frame, and flush at the outermost level.
    #[inline]
    pub fn propagation_leave(
        &mut self,
        id: usize,
        db: usize,
        argv: &Argv,
        dirty: bool,
        saved: CallFrame,
    ) {
        self.prop.depth -= 1;
        let frame = std::mem::replace(&mut self.prop.frame, saved);
        let target = if dirty || frame.force {
            TO_ALL
        } else if frame.force_repl {
            TO_REPL
        } else {
            0
        };
        if target != 0 && !frame.prevent && self.should_propagate() {
            let argv = frame
                .rewritten
                .unwrap_or_else(|| OwnedArgv::from_argv(argv));
            self.prop.pending.push(Op { db, argv, target });
        }
        if self.prop.depth == 0 && !self.prop.pending.is_empty() {
            // Commands that may lazily expire arbitrary keys (Redis's hidden
            // TOUCHES_ARBITRARY_KEYS flag) propagate those DELs unwrapped.
            let arbitrary = self.prop.pending.len() > 1
                && matches!(self.commands.cmds[id].spec.name, "scan" | "randomkey");
            self.propagate_pending(!arbitrary);
        }
    }

    /// propagatePendingCommands: hand the queue to the AOF, wrapped in MULTI/EXEC
    /// when an execution unit produced several commands.
    pub fn propagate_pending(&mut self, may_wrap: bool) {
        let ops = std::mem::take(&mut self.prop.pending);
        if ops.is_empty() {
            return;
        }
        let transaction = may_wrap && ops.len() > 1;
        if transaction {
            self.propagate_now(
                ops[0].db,
                &OwnedArgv::from_slices([b"MULTI"]).view(),
                TO_ALL,
            );
        }
        for op in &ops {
            self.propagate_now(op.db, &op.argv.view(), op.target);
        }
        if transaction {
            let db = ops[ops.len() - 1].db;
            self.propagate_now(db, &OwnedArgv::from_slices([b"EXEC"]).view(), TO_ALL);
        }
        // Keep the allocation for the next unit.
        let mut ops = ops;
        ops.clear();
        if self.prop.pending.is_empty() {
            self.prop.pending = ops;
        }
    }

    /// propagateNow: one command to every consumer.
    fn propagate_now(&mut self, db: usize, argv: &Argv, target: u8) {
        if target & TO_AOF != 0 && self.aof.state != crate::aof::AofState::Off {
            self.feed_append_only_file(db, argv);
        }
        if target & TO_REPL != 0 {
            self.replication_feed_slaves(db, argv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn server() -> Server {
        let mut s = Server::new(Config::default());
        s.aof.state = crate::aof::AofState::On;
        s
    }

    #[test]
    fn rewrite_arg_replaces_and_appends() {
        let mut s = server();
        let a = OwnedArgv::from_slices(["EXPIRE", "k", "10", "NX"]);
        s.rewrite_arg(&a.view(), 0, b"PEXPIREAT");
        s.rewrite_arg(&a.view(), 2, b"123");
        let r = s.prop.frame.rewritten.take().unwrap();
        assert_eq!(
            r.view().to_owned_vec(),
            vec![
                b"PEXPIREAT".to_vec(),
                b"k".to_vec(),
                b"123".to_vec(),
                b"NX".to_vec()
            ]
        );
        s.rewrite_arg(&a.view(), 4, b"X");
        assert_eq!(s.prop.frame.rewritten.take().unwrap().view().len(), 5);
    }

    #[test]
    fn single_effect_is_not_wrapped_several_are() {
        let mut s = server();
        let a = OwnedArgv::from_slices(["set", "k", "v"]);
        let saved = s.propagation_enter();
        s.propagation_leave(0, 0, &a.view(), true, saved);
        assert_eq!(
            s.aof.buf,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n"
        );
        s.aof.buf.clear();
        let saved = s.propagation_enter();
        s.propagate_deletion(0, b"k", false);
        s.propagation_leave(0, 0, &a.view(), true, saved);
        assert_eq!(
            s.aof.buf,
            b"*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn nothing_queued_when_aof_off() {
        let mut s = Server::new(Config::default());
        let a = OwnedArgv::from_slices(["set", "k", "v"]);
        let saved = s.propagation_enter();
        s.rewrite_command(&["X"]);
        s.propagation_leave(0, 0, &a.view(), true, saved);
        assert!(s.prop.pending.is_empty());
        assert!(s.aof.buf.is_empty());
    }
}
