//! Section surgery on encoded packs, shared by the pack tests.

use tsim_pack::crc32;

/// Replaces the body of section `tag` in an encoded pack, fixing the
/// section table and the checksum.
pub fn with_section(bytes: &[u8], tag: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let count = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
    let mut bodies = Vec::new();
    for i in 0..count {
        let entry = &bytes[12 + 20 * i..12 + 20 * (i + 1)];
        let offset = u64::from_le_bytes(entry[4..12].try_into().unwrap()) as usize;
        let len = u64::from_le_bytes(entry[12..20].try_into().unwrap()) as usize;
        let mut t = [0u8; 4];
        t.copy_from_slice(&entry[..4]);
        let b = if &t == tag {
            body.to_vec()
        } else {
            bytes[offset..offset + len].to_vec()
        };
        bodies.push((t, b));
    }
    let mut out = bytes[..12].to_vec();
    let mut offset = (12 + 20 * count) as u64;
    for (t, b) in &bodies {
        out.extend_from_slice(t);
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        offset += b.len() as u64;
    }
    for (_, b) in &bodies {
        out.extend_from_slice(b);
    }
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The body of section `tag` in an encoded pack.
pub fn section(bytes: &[u8], tag: &[u8; 4]) -> Vec<u8> {
    let count = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
    (0..count)
        .map(|i| &bytes[12 + 20 * i..12 + 20 * (i + 1)])
        .find(|entry| &entry[..4] == tag)
        .map(|entry| {
            let offset = u64::from_le_bytes(entry[4..12].try_into().unwrap()) as usize;
            let len = u64::from_le_bytes(entry[12..20].try_into().unwrap()) as usize;
            bytes[offset..offset + len].to_vec()
        })
        .unwrap()
}
