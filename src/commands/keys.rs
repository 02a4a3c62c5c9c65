//! Key extraction from a request by the command's key specs (Redis's
//! getKeysFromCommandWithSpecs): COMMAND GETKEYS uses it, and so will cluster routing.

use super::{BeginSearch, Command, FindKeys};
use crate::resp::Argv;

/// Returns argument indexes of the keys, or Err(()) when the arguments are malformed
/// for the spec (Redis then says "Invalid arguments specified for command").
pub fn get_key_positions(cmd: &Command, argv: &Argv) -> Result<Vec<usize>, ()> {
    Ok(get_keys_with_specs(cmd, argv)?
        .into_iter()
        .map(|(pos, _)| pos)
        .collect())
}

/// Like get_key_positions, with the index of the key spec each key came from
/// (COMMAND GETKEYSANDFLAGS reports that spec's flags).
pub fn get_keys_with_specs(cmd: &Command, argv: &Argv) -> Result<Vec<(usize, usize)>, ()> {
    match cmd.spec.name {
        "sort" => return Ok(sort_keys(argv)),
        "sort_ro" => return Ok(vec![(1, 0)]),
        // Its KEYS spec is INCOMPLETE: Redis falls back to migrateGetKeys.
        "migrate" => {
            return Ok(crate::cluster::migrate::migrate_key_positions(argv)
                .into_iter()
                .map(|p| (p, 0))
                .collect())
        }
        _ => {}
    }
    let argc = argv.len() as i32;
    let mut out = Vec::new();
    for (spec_idx, spec) in cmd.spec.key_specs.iter().enumerate() {
        let first = match spec.begin {
            BeginSearch::Index(i) => i,
            BeginSearch::Keyword {
                keyword,
                start_from,
            } => {
                let (start, end, step) = if start_from >= 0 {
                    (start_from, argc - 1, 1)
                } else {
                    (argc + start_from, 1, -1)
                };
                let mut i = start;
                let mut found = 0;
                while (step > 0 && i <= end) || (step < 0 && i >= end) {
                    if i < argc
                        && i > 0
                        && argv
                            .get(i as usize)
                            .eq_ignore_ascii_case(keyword.as_bytes())
                    {
                        found = i + 1;
                        break;
                    }
                    i += step;
                }
                if found == 0 {
                    continue;
                }
                found
            }
            BeginSearch::Unknown => return Err(()),
        };
        if first >= argc {
            continue;
        }
        match spec.find {
            FindKeys::Range {
                last_key,
                step,
                limit,
            } => {
                let last = if last_key >= 0 {
                    first + last_key
                } else if limit <= 1 {
                    argc + last_key
                } else {
                    first + ((argc - first) / limit + last_key)
                };
                let step = step.max(1);
                let mut i = first;
                while i <= last {
                    if i >= argc {
                        return Err(());
                    }
                    out.push((i as usize, spec_idx));
                    i += step;
                }
            }
            FindKeys::Keynum {
                keynum_idx,
                first_key,
                step,
            } => {
                let idx = first + keynum_idx;
                if idx >= argc {
                    return Err(());
                }
                let n = match crate::util::parse_i64(argv.get(idx as usize)) {
                    Some(n) if n >= 0 => n as i32,
                    _ => return Err(()),
                };
                let start = first + first_key;
                let step = step.max(1);
                let last = start + (n - 1) * step;
                if n > 0 && last >= argc {
                    return Err(());
                }
                let mut i = start;
                for _ in 0..n {
                    out.push((i as usize, spec_idx));
                    i += step;
                }
            }
            FindKeys::Unknown => return Err(()),
        }
    }
    Ok(out)
}

/// sortGetKeys: SORT's key specs are "unknown" (STORE may come anywhere), so
/// its keys are found by scanning the options as SORT parses them: the sorted
/// key (spec 0) and the last STORE destination (spec 2).
fn sort_keys(argv: &Argv) -> Vec<(usize, usize)> {
    let mut out = vec![(1, 0)];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv.get(i);
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        }
        i += 1;
    }
    out.extend(store.map(|p| (p, 2)));
    out
}
