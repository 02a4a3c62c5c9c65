//! Streams in RDB (types 15 and 19, rdbSaveObject / rdbLoadObject's stream
//! parts): the nodes go out as they are held (16-byte big-endian master ID,
//! listpack bytes), then the counters, then every consumer group with its PEL
//! and consumers. Loading checks each node and every cross-reference between
//! group PEL and consumer PELs, so a hostile payload is refused, not trusted.

use super::*;
use crate::db::object::Value;
use crate::ds::stream::{validate_node, CGroup, Consumer, Nack, Stream, StreamId};
use std::io::{self, Read, Write};

fn id_len<W: Write>(out: &mut Out<W>, id: StreamId) -> io::Result<()> {
    out.len(id.ms)?;
    out.len(id.seq)
}

/// The body of a type-19 stream record.
pub fn write_stream<W: Write>(out: &mut Out<W>, s: &Stream) -> io::Result<()> {
    out.len(s.node_count() as u64)?;
    for (master, lp) in s.nodes() {
        out.string(&master.to_be_bytes())?;
        out.string(lp)?;
    }
    out.len(s.length)?;
    id_len(out, s.last_id)?;
    id_len(out, s.first_id)?;
    id_len(out, s.max_deleted_entry_id)?;
    out.len(s.entries_added)?;
    let Some(groups) = s.cgroups.as_ref() else {
        return out.len(0);
    };
    out.len(groups.len() as u64)?;
    for (name, g) in groups {
        out.string(name)?;
        id_len(out, g.last_id)?;
        // -1 (unknown) goes out as the 64-bit length Redis writes for it.
        out.len(g.entries_read as u64)?;
        out.len(g.pel.len() as u64)?;
        for (id, nack) in &g.pel {
            out.raw(&id.to_be_bytes())?;
            out.millis(nack.delivery_time)?;
            out.len(nack.delivery_count)?;
        }
        out.len(g.consumers.len() as u64)?;
        for (cname, cons) in &g.consumers {
            out.string(cname)?;
            out.millis(cons.seen_time)?;
            out.len(cons.pel.len() as u64)?;
            for id in &cons.pel {
                out.raw(&id.to_be_bytes())?;
            }
        }
    }
    Ok(())
}

fn read_id_len<R: Read>(rd: &mut In<R>) -> RResult<StreamId> {
    let ms = rd.len()?;
    let seq = rd.len()?;
    Ok(StreamId::new(ms, seq))
}

fn read_raw_id<R: Read>(rd: &mut In<R>) -> RResult<StreamId> {
    let mut b = [0u8; 16];
    rd.exact(&mut b)?;
    Ok(StreamId::from_be_bytes(&b))
}

fn bad(msg: &str) -> RdbError {
    RdbError::corrupt(msg)
}

/// A stream record of type `t` (15: Redis 5.0-6.2, 19: 7.0).
/// `deep`: sanitize-dump-payload's deep check of each node's entries; without
/// it only the listpack header is checked, as Redis does (a malformed node
/// then fails a bounds check when read: a reported assertion exit).
pub fn read_stream<R: Read>(t: u8, rd: &mut In<R>, deep: bool) -> RResult<Value> {
    let v2 = t == TYPE_STREAM_LISTPACKS_2;
    let n = rd.len()?;
    let mut nodes: Vec<(StreamId, Vec<u8>)> = Vec::new();
    for _ in 0..n {
        let key = rd.string()?;
        let key: [u8; 16] = key
            .as_slice()
            .try_into()
            .map_err(|_| bad("Stream node key entry is not the size of a stream ID"))?;
        let lp = rd.string()?;
        let valid = if deep {
            validate_node(&lp)
        } else {
            crate::ds::listpack::validate(&lp, false, |_| true)
        };
        if !valid {
            return Err(bad("Stream listpack integrity check failed."));
        }
        if lp.get(crate::ds::listpack::HDR_SIZE) == Some(&0xFF) {
            return Err(bad("Empty listpack inside stream"));
        }
        let master = StreamId::from_be_bytes(&key);
        if nodes.last().is_some_and(|(prev, _)| *prev >= master) {
            return Err(bad("Stream node keys are not in order or duplicated"));
        }
        nodes.push((master, lp));
    }
    let length = rd.len()?;
    let last_id = read_id_len(rd)?;
    let (first_id, max_deleted, entries_added) = if v2 {
        let first = read_id_len(rd)?;
        let maxdel = read_id_len(rd)?;
        (Some(first), maxdel, rd.len()?)
    } else {
        (None, StreamId::new(0, 0), length)
    };
    if length > 0 && nodes.is_empty() {
        return Err(bad("Stream length inconsistent with rax entries"));
    }
    let mut s = Stream::from_parts(
        nodes,
        length,
        last_id,
        first_id.unwrap_or_default(),
        max_deleted,
        entries_added,
    );
    if first_id.is_none() {
        // Type 15 has no first ID: the first live entry's, as Redis computes it.
        s.first_id = s.edge_id(true, true).unwrap_or_default();
    }
    let groups = rd.len()?;
    for _ in 0..groups {
        let name = rd.string()?;
        let cg_last = read_id_len(rd)?;
        let entries_read = if v2 {
            rd.len()? as i64
        } else {
            s.estimate_distance_from_first_ever_entry(cg_last)
        };
        let mut g = CGroup::new(cg_last, entries_read);
        let pel = rd.len()?;
        for _ in 0..pel {
            let id = read_raw_id(rd)?;
            let delivery_time = rd.millis()?;
            let delivery_count = rd.len()?;
            let nack = Nack {
                delivery_time,
                delivery_count,
                consumer: None,
            };
            if g.pel.insert(id, nack).is_some() {
                return Err(bad(
                    "Duplicated global PEL entry loading stream consumer group",
                ));
            }
        }
        let consumers = rd.len()?;
        for _ in 0..consumers {
            let cname = rd.string()?;
            let seen_time = rd.millis()?;
            let mut cons = Consumer {
                seen_time,
                pel: Default::default(),
            };
            let n = rd.len()?;
            for _ in 0..n {
                let id = read_raw_id(rd)?;
                let Some(nack) = g.pel.get_mut(&id) else {
                    return Err(bad("Consumer entry not found in group global PEL"));
                };
                if !cons.pel.insert(id) {
                    return Err(bad(
                        "Duplicated consumer PEL entry loading a stream consumer group",
                    ));
                }
                nack.consumer = Some(cname.clone());
            }
            if g.consumers.insert(cname, cons).is_some() {
                return Err(bad("Duplicate stream consumer detected."));
            }
        }
        // Every pending entry needs an owner, or XPENDING/XCLAIM would meet a dangling one.
        if g.pel.values().any(|n| n.consumer.is_none()) {
            return Err(bad("Stream CG PEL entry without consumer"));
        }
        if !s.add_group(&name, g) {
            return Err(bad("Duplicated consumer group name"));
        }
    }
    Ok(Value::Stream(Box::new(s)))
}
