//! The entries of a zip archive (OSV's per-ecosystem `all.zip`): the central directory, then
//! each entry stored or deflated (miniz_oxide). No zip64, no encryption: OSV's dumps use
//! neither, and an archive that needs them is reported as unreadable, never half-read.

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
}

/// Call `each(name, contents)` for every file entry, in central-directory order, one
/// decompressed entry in memory at a time (a whole ecosystem's dump does not fit twice).
pub fn for_each(zip: &[u8], mut each: impl FnMut(&str, &[u8])) -> Result<(), String> {
    // End of central directory: 22 bytes plus a comment of at most 65,535 bytes at the end.
    let min = zip.len().saturating_sub(22 + 65_535);
    let eocd = (min..=zip.len().saturating_sub(22))
        .rev()
        .find(|&at| zip[at..].starts_with(&[0x50, 0x4b, 0x05, 0x06]))
        .ok_or("not a zip archive (no end of central directory)")?;
    let count = u16_at(zip, eocd + 10).ok_or("truncated zip")?;
    let mut at = u32_at(zip, eocd + 16).ok_or("truncated zip")?;
    if count == 0xFFFF || at == 0xFFFF_FFFF {
        return Err("zip64 archives are not supported".to_string());
    }
    for _ in 0..count {
        if !zip.get(at..).map_or(false, |s| s.starts_with(&[0x50, 0x4b, 0x01, 0x02])) {
            return Err("corrupt zip central directory".to_string());
        }
        let bad = || "truncated zip central directory".to_string();
        let flags = u16_at(zip, at + 8).ok_or_else(bad)?;
        let method = u16_at(zip, at + 10).ok_or_else(bad)?;
        let csize = u32_at(zip, at + 20).ok_or_else(bad)?;
        let name_len = u16_at(zip, at + 28).ok_or_else(bad)?;
        let extra_len = u16_at(zip, at + 30).ok_or_else(bad)?;
        let comment_len = u16_at(zip, at + 32).ok_or_else(bad)?;
        let local = u32_at(zip, at + 42).ok_or_else(bad)?;
        let name = zip.get(at + 46..at + 46 + name_len).ok_or_else(bad)?;
        let name = String::from_utf8_lossy(name).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if name.ends_with('/') {
            continue; // a folder entry
        }
        if flags & 1 != 0 {
            return Err(format!("{}: encrypted zip entries are not supported", name));
        }
        let lbad = || format!("{}: truncated local header", name);
        if !zip.get(local..).map_or(false, |s| s.starts_with(&[0x50, 0x4b, 0x03, 0x04])) {
            return Err(lbad());
        }
        let start = local + 30 + u16_at(zip, local + 26).ok_or_else(lbad)? + u16_at(zip, local + 28).ok_or_else(lbad)?;
        let data = zip.get(start..start + csize).ok_or_else(lbad)?;
        let inflated;
        let contents: &[u8] = match method {
            0 => data,
            8 => {
                inflated = miniz_oxide::inflate::decompress_to_vec(data)
                    .map_err(|e| format!("{}: bad deflate data ({:?})", name, e.status))?;
                &inflated
            }
            m => return Err(format!("{}: compression method {} is not supported", name, m)),
        };
        each(&name, &contents);
    }
    Ok(())
}
